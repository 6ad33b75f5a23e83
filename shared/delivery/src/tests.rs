//! The client against receivers started on 127.0.0.1 by each test: raw HTTP/1.1 over a
//! TCP listener, so what the receiver saw is known exactly.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const LOOPBACK: UrlPolicy = UrlPolicy {
    allow_loopback: true,
};
const DEPLOYED: UrlPolicy = UrlPolicy {
    allow_loopback: false,
};

/// A receiver that answers every request with `response` (after `delay`); the requests it
/// read, and how many.
struct Receiver {
    port: u16,
    requests: Arc<tokio::sync::Mutex<Vec<String>>>,
    count: Arc<AtomicUsize>,
}

async fn receiver(response: Vec<u8>, delay: Duration) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let (seen, counted) = (requests.clone(), count.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (response, seen, counted) = (response.clone(), seen.clone(), counted.clone());
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 65536];
                let read = socket.read(&mut buffer).await.unwrap_or(0);
                counted.fetch_add(1, Ordering::SeqCst);
                seen.lock()
                    .await
                    .push(String::from_utf8_lossy(&buffer[..read]).into_owned());
                tokio::time::sleep(delay).await;
                let _ = socket.write_all(&response).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    Receiver {
        port,
        requests,
        count,
    }
}

fn answer(status_line: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut response = format!(
        "HTTP/1.1 {status_line}\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(body);
    response
}

fn client(policy: UrlPolicy, timeout_ms: u64) -> WebhookClient {
    WebhookClient::new(policy, Duration::from_millis(timeout_ms)).unwrap()
}

#[tokio::test]
async fn a_receiver_gets_the_body_and_headers_and_its_answer_is_returned() {
    let receiver = receiver(answer("200 OK", "", b"thanks"), Duration::ZERO).await;
    let url = format!("http://localhost:{}/hook", receiver.port);
    let headers = [("webhook-id", "evt_1".to_owned())];
    let answer = client(LOOPBACK, 5_000)
        .post(&url, &headers, b"{\"type\":\"webhook.test\"}")
        .await
        .unwrap();
    assert_eq!(
        (answer.status, answer.body.as_slice()),
        (200, &b"thanks"[..])
    );
    let requests = receiver.requests.lock().await;
    assert!(
        requests[0].starts_with("POST /hook HTTP/1.1"),
        "{requests:?}"
    );
    assert!(requests[0].contains("webhook-id: evt_1"), "{requests:?}");
    assert!(
        requests[0].ends_with("{\"type\":\"webhook.test\"}"),
        "{requests:?}"
    );
}

#[tokio::test]
async fn loopback_is_refused_where_the_deployment_does_not_allow_it() {
    let receiver = receiver(answer("200 OK", "", b""), Duration::ZERO).await;
    for url in [
        format!("http://localhost:{}/", receiver.port),
        format!("http://127.0.0.1:{}/", receiver.port),
        format!("https://localhost:{}/", receiver.port),
    ] {
        let refused = client(DEPLOYED, 5_000).post(&url, &[], b"").await;
        assert!(
            matches!(refused, Err(PostFailure::NotAllowed)),
            "{url}: {refused:?}"
        );
    }
    assert_eq!(
        receiver.count.load(Ordering::SeqCst),
        0,
        "nothing reached it"
    );
}

#[test]
fn a_name_is_used_only_if_every_address_it_resolves_to_is_allowed() {
    let at = |ip: &str| SocketAddr::new(ip.parse().unwrap(), 0);
    assert!(checked(vec![at("93.184.216.34")], DEPLOYED).is_ok());
    for addresses in [
        vec![at("10.0.0.7")],
        vec![at("93.184.216.34"), at("169.254.169.254")],
        vec![at("127.0.0.1")],
        vec![at("::ffff:192.168.1.1")],
        vec![],
    ] {
        assert!(
            checked(addresses.clone(), DEPLOYED).is_err(),
            "{addresses:?}"
        );
    }
    assert!(checked(vec![at("127.0.0.1"), at("::1")], LOOPBACK).is_ok());
}

#[tokio::test]
async fn a_receiver_that_does_not_answer_in_time_times_out() {
    let receiver = receiver(answer("200 OK", "", b""), Duration::from_secs(5)).await;
    let url = format!("http://127.0.0.1:{}/", receiver.port);
    let started = Instant::now();
    let late = client(LOOPBACK, 300).post(&url, &[], b"").await;
    assert!(matches!(late, Err(PostFailure::TimedOut(_))), "{late:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_redirect_is_an_answer_and_is_not_followed() {
    let elsewhere = receiver(answer("200 OK", "", b""), Duration::ZERO).await;
    let location = format!("location: http://127.0.0.1:{}/\r\n", elsewhere.port);
    let redirecting = receiver(answer("302 Found", &location, b""), Duration::ZERO).await;
    let url = format!("http://127.0.0.1:{}/", redirecting.port);
    let answer = client(LOOPBACK, 5_000).post(&url, &[], b"").await.unwrap();
    assert_eq!(answer.status, 302);
    assert_eq!(elsewhere.count.load(Ordering::SeqCst), 0, "not followed");
}

#[tokio::test]
async fn at_most_64_kib_of_an_answer_is_read() {
    let huge = vec![b'x'; 4 * 1024 * 1024];
    let receiver = receiver(answer("200 OK", "", &huge), Duration::ZERO).await;
    let url = format!("http://127.0.0.1:{}/", receiver.port);
    let answer = client(LOOPBACK, 5_000).post(&url, &[], b"").await.unwrap();
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.len() <= MAX_ANSWER_BYTES,
        "{}",
        answer.body.len()
    );
}
