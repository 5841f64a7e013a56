//! The app's page never leaves the app: a link or a script that would navigate the
//! window elsewhere (a phishing page in the app's frame, an address that carries data
//! out) is refused, and so is a new window. The app has no use for the browser, so
//! nothing is handed to one either.

use tauri::Url;

/// Whether the window may show `url`: the app's own pages, served on its scheme
/// (`tauri://localhost`, or `http(s)://tauri.localhost` where the platform has no
/// custom schemes), or, in a development build, Vite's dev server (`dev_url`).
pub fn allowed(url: &Url, dev_url: Option<&Url>) -> bool {
    let own = match url.scheme() {
        "tauri" => url.host_str() == Some("localhost") && url.port().is_none(),
        "http" | "https" => url.host_str() == Some("tauri.localhost") && url.port().is_none(),
        _ => false,
    };
    let dev = dev_url.is_some_and(|dev| dev.origin().is_tuple() && dev.origin() == url.origin());
    let allowed = (own && url.username().is_empty() && url.password().is_none()) || dev;
    if !allowed {
        tracing::warn!(%url, "refused to navigate away from the app");
    }
    allowed
}

#[cfg(test)]
mod tests {
    use super::allowed;

    fn url(text: &str) -> tauri::Url {
        text.parse().unwrap()
    }

    #[test]
    fn the_app_s_own_pages_are_shown() {
        assert!(allowed(&url("tauri://localhost"), None));
        assert!(allowed(&url("tauri://localhost/"), None));
        assert!(allowed(&url("tauri://localhost/index.html#week"), None));
        assert!(allowed(&url("http://tauri.localhost/"), None));
        assert!(allowed(&url("https://tauri.localhost/index.html"), None));
        let dev = url("http://localhost:5173");
        assert!(allowed(
            &url("http://localhost:5173/src/main.ts"),
            Some(&dev)
        ));
    }

    #[test]
    fn anything_else_is_refused() {
        let dev = url("http://localhost:5173");
        for away in [
            "https://example.org/",
            "http://127.0.0.1:8080/",
            "http://tauri.localhost.example.org/",
            "http://tauri.localhost:8080/",
            "https://evil@tauri.localhost/",
            "tauri://localhost:1/",
            "tauri://evil.example/",
            "javascript:alert(1)",
            "data:text/html,<p>x",
            "blob:tauri://localhost/0b6f",
            "about:blank",
            "file:///etc/passwd",
            "basemap://localhost/1/0/0",
            "tiles://localhost/1/0/0",
            "http://tiles.localhost/1/0/0",
            "ipc://localhost/overview",
            "http://localhost:5174/",
            "https://localhost:5173/",
        ] {
            assert!(!allowed(&url(away), Some(&dev)), "{away} is not the app");
        }
        assert!(
            !allowed(&url("http://localhost:5173/"), None),
            "the dev server is the app only in a development build"
        );
    }
}
