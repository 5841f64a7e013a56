//! The page as a PDF file, printed by the web view itself: the same pages `window.print()`
//! gives, with the page's print styles, saved where the user chooses without going
//! through a printer dialog. On Linux this is WebKitGTK's print operation to a file;
//! elsewhere the system's own print dialog offers "save as PDF", and the page uses that.

use std::path::Path;

use lagesbild_core::ErrorCode;
use tauri::{AppHandle, WebviewWindow};

use crate::commands::choose_output;
use crate::error::{CommandError, CommandResult};

/// How long printing may take: a meeting's minutes are a page or two.
#[cfg(target_os = "linux")]
const PRINT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Prints the page as it stands (the caller first shows what is to be printed) to a PDF
/// file called `name`, where the user chooses; answers its path, or "" when the user
/// chose not to save. `not_found` where this web view cannot print to a file: the page
/// then opens the system's print dialog.
#[tauri::command]
pub async fn save_pdf(
    app: AppHandle,
    window: WebviewWindow,
    name: String,
) -> CommandResult<String> {
    if !cfg!(target_os = "linux") {
        return Err(CommandError::new(
            ErrorCode::NotFound,
            "this web view prints to PDF through the system's print dialog",
        ));
    }
    let Some(path) = choose_output(&app, &name)? else {
        return Ok(String::new());
    };
    print_to(&window, &path).await?;
    Ok(path.display().to_string())
}

#[cfg(target_os = "linux")]
async fn print_to(window: &WebviewWindow, path: &Path) -> CommandResult<()> {
    use std::cell::RefCell;
    use std::rc::Rc;

    use webkit2gtk::PrintOperationExt as _;

    let internal = |e: String| CommandError::new(ErrorCode::Internal, e);
    let uri = tauri::Url::from_file_path(path)
        .map_err(|()| internal(format!("{} is not a file path", path.display())))?;
    // A file left by an earlier print is not taken for this one's.
    let _ = std::fs::remove_file(path);
    let (done, printed) = tokio::sync::oneshot::channel::<Result<(), String>>();
    window
        .with_webview(move |webview| {
            let operation = webkit2gtk::PrintOperation::new(&webview.inner());
            let settings = gtk::PrintSettings::new();
            settings.set_printer("Print to File");
            settings.set(gtk::PRINT_SETTINGS_OUTPUT_FILE_FORMAT, Some("pdf"));
            settings.set(gtk::PRINT_SETTINGS_OUTPUT_URI, Some(uri.as_str()));
            operation.set_print_settings(&settings);
            let page = gtk::PageSetup::new();
            page.set_paper_size(&gtk::PaperSize::new(Some(gtk::PAPER_NAME_A4)));
            operation.set_page_setup(&page);
            // `failed` comes before `finished` when printing fails: the first word counts.
            let done = Rc::new(RefCell::new(Some(done)));
            let on_failure = done.clone();
            operation.connect_failed(move |_, error| {
                if let Some(done) = on_failure.borrow_mut().take() {
                    let _ = done.send(Err(error.to_string()));
                }
            });
            operation.connect_finished(move |_| {
                if let Some(done) = done.borrow_mut().take() {
                    let _ = done.send(Ok(()));
                }
            });
            operation.print();
        })
        .map_err(|e| internal(e.to_string()))?;
    match tokio::time::timeout(PRINT_TIMEOUT, printed).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => return Err(internal(format!("printing failed: {e}"))),
        Ok(Err(_)) => return Err(internal("printing stopped without a word".into())),
        Err(_) => return Err(internal("printing took longer than a minute".into())),
    }
    // The file's last bytes are written as the job ends: it is whole when it ends in
    // PDF's end-of-file mark.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let whole = std::fs::read(path).is_ok_and(|bytes| {
            bytes.starts_with(b"%PDF") && bytes.windows(5).rev().take(64).any(|w| w == b"%%EOF")
        });
        if whole {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(internal(format!("{} was not written", path.display())));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[cfg(not(target_os = "linux"))]
async fn print_to(_window: &WebviewWindow, _path: &Path) -> CommandResult<()> {
    Err(CommandError::new(
        ErrorCode::NotFound,
        "this web view prints to PDF through the system's print dialog",
    ))
}
