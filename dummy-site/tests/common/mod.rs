//! Shared by the integration tests: start a real site on an ephemeral loopback port.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use dummy_site::{SiteHandle, SiteParams};

pub fn start(p: SiteParams) -> SiteHandle {
    p.check()
        .expect("valid params")
        .start("127.0.0.1:0".parse().unwrap())
        .expect("site starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Sends raw bytes and returns what the server answered until it closed or went quiet.
pub fn raw(site: &SiteHandle, request: &[u8]) -> String {
    let mut s = TcpStream::connect(site.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        if out.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
