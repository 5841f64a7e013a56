//! A new device bootstraps from pages of whole documents, however many pages there are.
#![allow(clippy::unwrap_used)]

use lagesbild_core::ListQuery;
use lagesbild_core::sync::wire::MAX_PAGE;
use lagesbild_tests::{Backend, Device, Scenario};

async fn a_new_device_receives_every_page_of_the_bootstrap(backend: Backend) {
    let reports = 2 * MAX_PAGE + 37;
    let Scenario { server, codes, .. } = Scenario::on(backend)
        .named("Många")
        .reports(reports)
        .start()
        .await;
    let device = Device::enroll(&server.url(), &codes[2], "ny").await;
    let rows = device.store().list(&ListQuery::default()).unwrap();
    assert_eq!(
        rows.len(),
        reports,
        "all {} pages arrived",
        reports.div_ceil(MAX_PAGE)
    );
    assert_eq!(server.observations().len(), reports);
    let readable = rows.iter().filter(|r| !r.restricted).count();
    assert_eq!(readable, reports, "demo reports are visible to all");
    let some = rows[reports / 2].id;
    assert!(
        device.store().observation(some).is_ok(),
        "bootstrapped documents load"
    );
    // And the device carries on from the feed: nothing new, nothing repeated.
    let status = device.sync().await;
    assert_eq!(status.waiting, 0);
    assert_eq!(
        device.store().list(&ListQuery::default()).unwrap().len(),
        reports
    );
}

lagesbild_tests::on_both_backends!(
    async a_new_device_receives_every_page_of_the_bootstrap,
);
