//! Pushes an attacker would send: compressed changes that inflate to hundreds of MB,
//! sent in parallel by one enrolled device, while another device goes on syncing.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::time::{Duration, Instant};

use lagesbild_core::sync::wire::{PushOutcome, PushRequest, PushResponse, RefusalCode, WireChange};
use lagesbild_tests::{Backend, Device, Scenario, memory_mb};
use sha2::{Digest, Sha256};

/// A compressed Automerge chunk (type 2) whose DEFLATE data inflates to `inflated`
/// zero bytes, with a checksum that matches its bytes as sent, so only inflating it
/// shows what it is.
fn deflate_bomb(inflated: usize) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..inflated >> 20 {
        encoder.write_all(&zeros).unwrap();
    }
    let data = encoder.finish().unwrap();
    let mut body = vec![2u8];
    let mut len = data.len() as u64;
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            body.push(byte);
            break;
        }
        body.push(byte | 0x80);
    }
    body.extend_from_slice(&data);
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83];
    chunk.extend_from_slice(&Sha256::digest(&body)[..4]);
    chunk.extend_from_slice(&body);
    chunk
}

async fn decompression_bombs_neither_stall_other_devices_nor_raise_memory(backend: Backend) {
    let Scenario { server, codes, .. } = Scenario::on(backend)
        .named("Bomb")
        .reports(20)
        .start()
        .await;
    let attacker = Device::enroll(&server.url(), &codes[4], "väktarens telefon").await;
    let other = Device::enroll(&server.url(), &codes[1], "fältarens telefon").await;

    let bomb = deflate_bomb(200 << 20);
    assert!(
        bomb.len() < 256 * 1024,
        "the bomb fits the size limit as sent: {} B",
        bomb.len()
    );
    let (_, peak_before) = memory_mb();

    let client = reqwest::Client::new();
    let push_url = format!("{}/v1/workspaces/{}/push", server.url(), attacker.workspace);
    let mut attacks = Vec::new();
    for round in 0..6 {
        let (client, url, token, bomb) = (
            client.clone(),
            push_url.clone(),
            attacker.token.clone(),
            bomb.clone(),
        );
        attacks.push(tokio::spawn(async move {
            let changes = (0..3)
                .map(|i| WireChange {
                    doc: uuid::Uuid::now_v7(),
                    hash: format!("{round}{i}"),
                    bytes: bomb.clone(),
                })
                .collect();
            client
                .post(&url)
                .bearer_auth(&token)
                .json(&PushRequest { changes })
                .send()
                .await
                .unwrap()
        }));
    }

    // Meanwhile the other device asks who it is and syncs, again and again.
    let me_url = format!("{}/v1/me", server.url());
    let mut slowest = Duration::ZERO;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(4) {
        let t = Instant::now();
        let me = client
            .get(&me_url)
            .bearer_auth(&other.token)
            .send()
            .await
            .unwrap();
        assert!(me.status().is_success());
        other.sync().await;
        slowest = slowest.max(t.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut refused = 0;
    for attack in attacks {
        let response = attack.await.unwrap();
        if response.status().is_success() {
            let response: PushResponse = response.json().await.unwrap();
            for result in response.results {
                assert!(
                    matches!(
                        result.outcome,
                        PushOutcome::Refused {
                            code: RefusalCode::TooLarge | RefusalCode::Undecodable,
                            ..
                        }
                    ),
                    "a bomb is refused, not stored: {:?}",
                    result.outcome
                );
                refused += 1;
            }
        } else {
            // A parallel push from the same device waits its turn or is told to.
            assert_eq!(response.status(), 429, "{}", response.text().await.unwrap());
        }
    }
    let (_, peak_after) = memory_mb();
    assert!(
        refused >= 3,
        "at least one push was checked: {refused} refused"
    );
    assert!(
        slowest < Duration::from_millis(1500),
        "the other device's requests answered within about a second, slowest {slowest:?}"
    );
    assert!(
        peak_after < peak_before + 100,
        "memory stays bounded: peak {peak_before} MB before, {peak_after} MB after"
    );
    let device = attacker.store().credential().unwrap().unwrap().device;
    let workspace = attacker.workspace;
    let stored = server.read(|tx| {
        tx.feed(workspace, 0, 1_000_000)
            .unwrap()
            .iter()
            .filter(|r| r.device == Some(device))
            .count()
    });
    assert_eq!(stored, 0, "nothing from the bombs is stored");
}

lagesbild_tests::on_both_backends!(
    async(4) decompression_bombs_neither_stall_other_devices_nor_raise_memory,
);
