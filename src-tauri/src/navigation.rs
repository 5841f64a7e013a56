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
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost") && url.port().is_none(),
        _ => false,
    };
    let dev = dev_url.is_some_and(|dev| dev.origin() == url.origin());
    let allowed = own || dev;
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
        assert!(allowed(&url("tauri://localhost/"), None));
        assert!(allowed(&url("tauri://localhost/index.html#week"), None));
        assert!(allowed(&url("http://tauri.localhost/"), None));
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
            "http://tauri.localhost.example.org/",
            "http://tauri.localhost:8080/",
            "javascript:alert(1)",
            "data:text/html,<p>x",
            "file:///etc/passwd",
            "basemap://localhost/1/0/0",
            "http://localhost:5174/",
        ] {
            assert!(!allowed(&url(away), Some(&dev)), "{away} is not the app");
        }
        assert!(
            !allowed(&url("http://localhost:5173/"), None),
            "the dev server is the app only in a development build"
        );
    }

    #[test]
    fn the_page_loads_and_sends_nothing_outside_the_app() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
        let csp = config["app"]["security"]["csp"].as_str().unwrap();
        for directive in csp.split(';') {
            let mut words = directive.split_whitespace();
            let name = words.next().unwrap_or_default();
            for source in words {
                let own = source.starts_with('\'')
                    || ["ipc:", "basemap:", "tiles:", "data:", "blob:"].contains(&source)
                    || source
                        .strip_prefix("http://")
                        .is_some_and(|host| host.ends_with(".localhost"));
                assert!(own, "{name} allows {source}, outside the app: {csp}");
            }
        }
    }
}
