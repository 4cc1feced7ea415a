//! Static assets, served from memory with an `ETag`, outside the worker pool (as a CDN
//! would serve them).

use std::collections::HashMap;

use bytes::Bytes;

use crate::catalogue::IMAGES;

/// One asset, ready to send.
#[derive(Debug, Clone)]
pub struct Asset {
    /// The bytes.
    pub body: Bytes,
    /// Its media type.
    pub content_type: &'static str,
    /// A strong validator derived from the bytes.
    pub etag: String,
}

/// Every asset by path (without the `/static/` prefix).
#[derive(Debug)]
pub struct Assets {
    by_path: HashMap<String, Asset>,
}

const COLOURS: [(&str, &str); IMAGES as usize] = [
    ("#2d6cdf", "#9cc0ff"),
    ("#c2410c", "#fdba74"),
    ("#15803d", "#86efac"),
    ("#7e22ce", "#d8b4fe"),
    ("#b91c1c", "#fca5a5"),
    ("#0f766e", "#5eead4"),
    ("#a16207", "#fde047"),
    ("#334155", "#cbd5e1"),
];

fn product_image(n: usize) -> String {
    let (dark, light) = COLOURS[n];
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"440\" height=\"280\" viewBox=\"0 0 440 280\">\
         <rect width=\"440\" height=\"280\" fill=\"{light}\"/>"
    );
    for i in 0..24 {
        let x = (i * 37 + n * 53) % 440;
        let y = (i * 71 + n * 29) % 280;
        s.push_str(&format!(
            "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{w}\" rx=\"6\" fill=\"{dark}\" fill-opacity=\"0.{o}\"/>",
            w = 12 + (i * 7) % 40,
            o = 2 + i % 7
        ));
    }
    s.push_str(&format!(
        "<circle cx=\"220\" cy=\"140\" r=\"70\" fill=\"{dark}\"/></svg>\n"
    ));
    s
}

/// FNV-1a: a cheap, stable hash for the entity tag.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Assets {
    /// The bundled CSS, JavaScript and images.
    pub fn bundled() -> Self {
        let mut by_path = HashMap::new();
        let mut add = |path: String, body: Bytes, content_type: &'static str| {
            let etag = format!("\"{:016x}\"", fnv1a(&body));
            by_path.insert(
                path,
                Asset {
                    body,
                    content_type,
                    etag,
                },
            );
        };
        add(
            "app.css".into(),
            Bytes::from_static(include_bytes!("../assets/app.css")),
            "text/css; charset=utf-8",
        );
        add(
            "app.js".into(),
            Bytes::from_static(include_bytes!("../assets/app.js")),
            "text/javascript; charset=utf-8",
        );
        add(
            "logo.svg".into(),
            Bytes::from_static(include_bytes!("../assets/logo.svg")),
            "image/svg+xml",
        );
        add(
            "hero.svg".into(),
            Bytes::from_static(include_bytes!("../assets/hero.svg")),
            "image/svg+xml",
        );
        for n in 0..IMAGES as usize {
            add(
                format!("img/p{n}.svg"),
                Bytes::from(product_image(n)),
                "image/svg+xml",
            );
        }
        Self { by_path }
    }

    /// The asset at `path` (relative to `/static/`).
    pub fn get(&self, path: &str) -> Option<&Asset> {
        self.by_path.get(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_product_image_exists_and_etags_differ() {
        let a = Assets::bundled();
        for n in 0..IMAGES {
            assert!(a.get(&format!("img/p{n}.svg")).is_some());
        }
        assert_ne!(
            a.get("app.css").unwrap().etag,
            a.get("app.js").unwrap().etag
        );
        assert!(a.get("../Cargo.toml").is_none());
        assert!(a.get("hero.svg").unwrap().body.len() > 10_000);
    }
}
