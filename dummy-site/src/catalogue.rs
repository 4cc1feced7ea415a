//! The product catalogue: deterministic from a seed, each item's JSON rendered once.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

const ADJECTIVES: &[&str] = &[
    "Sturdy", "Quiet", "Rapid", "Compact", "Golden", "Classic", "Modern", "Rustic", "Bright",
    "Smooth", "Heavy", "Light", "Electric", "Wooden", "Steel", "Velvet",
];
const NOUNS: &[&str] = &[
    "Lamp",
    "Chair",
    "Kettle",
    "Backpack",
    "Notebook",
    "Headphones",
    "Teapot",
    "Blanket",
    "Clock",
    "Bicycle",
    "Camera",
    "Desk",
    "Mug",
    "Jacket",
    "Keyboard",
    "Umbrella",
];
const CATEGORIES: &[&str] = &[
    "home",
    "office",
    "outdoor",
    "kitchen",
    "electronics",
    "fashion",
];
const WORDS: &[&str] = &[
    "durable",
    "handmade",
    "recycled",
    "everyday",
    "premium",
    "portable",
    "elegant",
    "simple",
    "reliable",
    "warm",
    "fast",
    "comfortable",
    "robust",
    "colourful",
    "minimal",
    "practical",
];

/// Number of distinct product images served under `/static/img/p<n>.svg`.
pub const IMAGES: u32 = 8;

/// One product.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// 1-based id.
    pub id: u32,
    /// Display name.
    pub name: String,
    /// Category.
    pub category: &'static str,
    /// Price in cents.
    pub price_cents: u32,
    /// Units in stock.
    pub stock: u32,
    /// A sentence of description.
    pub description: String,
    /// Image URL.
    pub image: String,
}

/// All products, with their JSON and a lower-case search text prepared once.
#[derive(Debug)]
pub struct Catalogue {
    items: Vec<Item>,
    json: Vec<String>,
    search_text: Vec<String>,
}

impl Catalogue {
    /// `n` items drawn from `seed`: the same seed always gives the same catalogue.
    pub fn generate(n: u32, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let items: Vec<Item> = (1..=n)
            .map(|id| {
                let pick =
                    |rng: &mut StdRng, list: &[&'static str]| list[rng.random_range(0..list.len())];
                let name = format!("{} {}", pick(&mut rng, ADJECTIVES), pick(&mut rng, NOUNS));
                let words: Vec<&str> = (0..8).map(|_| pick(&mut rng, WORDS)).collect();
                Item {
                    id,
                    name,
                    category: pick(&mut rng, CATEGORIES),
                    price_cents: rng.random_range(199..=49_999),
                    stock: rng.random_range(0..=500),
                    description: format!("A {} choice.", words.join(", ")),
                    image: format!("/static/img/p{}.svg", rng.random_range(0..IMAGES)),
                }
            })
            .collect();
        let json = items
            .iter()
            .map(|i| serde_json::to_string(i).expect("items serialize"))
            .collect();
        let search_text = items
            .iter()
            .map(|i| format!("{} {} {}", i.name, i.category, i.description).to_lowercase())
            .collect();
        Self {
            items,
            json,
            search_text,
        }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The item with this id.
    pub fn get(&self, id: u32) -> Option<&Item> {
        self.items.get((id as usize).checked_sub(1)?)
    }

    /// The item's JSON.
    pub fn json(&self, id: u32) -> Option<&str> {
        self.json
            .get((id as usize).checked_sub(1)?)
            .map(String::as_str)
    }

    /// Items of a 1-based page of `size`.
    pub fn page(&self, page: usize, size: usize) -> &[Item] {
        let from = (page.saturating_sub(1))
            .saturating_mul(size)
            .min(self.items.len());
        let to = from.saturating_add(size).min(self.items.len());
        &self.items[from..to]
    }

    /// Ids of items whose name, category or description contain every word of `q`
    /// (case-insensitive), at most `limit`. A full scan: search is the costly endpoint.
    pub fn search(&self, q: &str, limit: usize) -> Vec<u32> {
        let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
        self.search_text
            .iter()
            .zip(&self.items)
            .filter(|(text, _)| words.iter().all(|w| text.contains(w.as_str())))
            .map(|(_, item)| item.id)
            .take(limit)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_catalogue_and_pages_are_bounded() {
        let a = Catalogue::generate(50, 7);
        let b = Catalogue::generate(50, 7);
        assert_eq!(a.json(3), b.json(3));
        assert_ne!(Catalogue::generate(50, 8).json(3), a.json(3));
        assert_eq!(a.page(1, 20).len(), 20);
        assert_eq!(a.page(3, 20).len(), 10);
        assert!(a.page(4, 20).is_empty());
        assert!(a.page(usize::MAX, usize::MAX).is_empty());
        assert!(a.get(0).is_none() && a.get(51).is_none());
        let name = a.get(1).unwrap().name.to_lowercase();
        assert!(a.search(&name, 100).contains(&1));
        assert!(a.search("zzzz-nothing", 100).is_empty());
    }
}
