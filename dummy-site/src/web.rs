//! The HTML pages' handlers: browsing, search, and the login → cart → checkout flow.

use http::{header, HeaderValue, Method, StatusCode};

use crate::app::{field, html, see_other, tail, App, Req, Resp};
use crate::metrics::Route;
use crate::pages;

/// Products per page of `/products`.
pub const PAGE_SIZE: usize = 20;

fn valid_user(u: &str) -> bool {
    !u.is_empty()
        && u.len() <= 64
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
}

/// A local path to go back to after signing in; anything else becomes `/cart`.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains(['\r', '\n', '\\']) {
        next
    } else {
        "/cart"
    }
}

/// Luhn checksum of a card number's digits.
fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                *d
            }
        })
        .sum();
    sum % 10 == 0
}

fn card_error(card: &str) -> Option<&'static str> {
    let compact: String = card.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits: Option<Vec<u32>> = compact.chars().map(|c| c.to_digit(10)).collect();
    match digits {
        None => Some("Card number must contain only digits."),
        Some(d) if !(12..=19).contains(&d.len()) => Some("Card number must have 12 to 19 digits."),
        Some(d) if !luhn(&d) => Some("Card number is not valid (checksum)."),
        Some(_) => None,
    }
}

impl App {
    pub(crate) fn page(&self, route: Route, req: &Req) -> Resp {
        let session = req
            .sid()
            .and_then(|sid| self.sessions.get(sid).map(|s| (sid.to_string(), s)));
        let user = session.as_ref().map(|(_, s)| s.user.as_str());
        match route {
            Route::Home => html(StatusCode::OK, pages::home(user)),
            Route::Products => {
                let page = req
                    .param("page")
                    .map_or(Some(1), |p| p.parse::<usize>().ok().filter(|p| *p >= 1));
                match page {
                    Some(page) if (page - 1).saturating_mul(PAGE_SIZE) < self.catalogue.len() => {
                        html(
                            StatusCode::OK,
                            pages::products(&self.catalogue, page, PAGE_SIZE, user),
                        )
                    }
                    Some(_) => html(
                        StatusCode::NOT_FOUND,
                        pages::message("No such page", "That page of products does not exist."),
                    ),
                    None => html(
                        StatusCode::BAD_REQUEST,
                        pages::message("Bad page", "page must be a whole number of at least 1."),
                    ),
                }
            }
            Route::Product => {
                let item = tail(&req.path, "/products/")
                    .and_then(|id| id.parse().ok())
                    .and_then(|id| self.catalogue.get(id));
                match item {
                    Some(i) => html(StatusCode::OK, pages::product(i, user)),
                    None => html(
                        StatusCode::NOT_FOUND,
                        pages::message("Not found", "There is no such product."),
                    ),
                }
            }
            Route::Search => {
                let q = req.param("q").unwrap_or("").trim();
                if q.len() > crate::api::MAX_QUERY {
                    return html(
                        StatusCode::BAD_REQUEST,
                        pages::message("Bad search", "The search text is too long."),
                    );
                }
                let ids = if q.is_empty() {
                    Vec::new()
                } else {
                    self.catalogue.search(q, crate::api::MAX_SEARCH_RESULTS)
                };
                html(
                    StatusCode::OK,
                    pages::search(&self.catalogue, q, &ids, user),
                )
            }
            Route::Login => self.login(req),
            Route::Cart => match session {
                Some((_, s)) => html(StatusCode::OK, pages::cart(&self.catalogue, &s)),
                None => see_other("/login?next=/cart"),
            },
            Route::CartAdd => self.cart_add(req, session.map(|(sid, _)| sid)),
            Route::Checkout => self.checkout(req, session),
            _ => html(
                StatusCode::NOT_FOUND,
                pages::message("Not found", "No such page."),
            ),
        }
    }

    fn login(&self, req: &Req) -> Resp {
        if req.method != Method::POST {
            let next = safe_next(req.param("next").unwrap_or("/cart"));
            return html(StatusCode::OK, pages::login(&[], "", next));
        }
        let form = req.form();
        let (user, pass, next) = (
            field(&form, "username").trim(),
            field(&form, "password"),
            safe_next(field(&form, "next")),
        );
        let mut errors = Vec::new();
        if !valid_user(user) {
            errors.push((
                "username",
                "User name must be 1 to 64 letters, digits or . _ - @.",
            ));
        }
        if pass.chars().count() < 4 {
            errors.push(("password", "Password must have at least 4 characters."));
        }
        if !errors.is_empty() {
            return html(StatusCode::BAD_REQUEST, pages::login(&errors, user, next));
        }
        let sid = self.sessions.create(user);
        let mut r = see_other(next);
        let cookie = format!("sid={sid}; Path=/; HttpOnly; SameSite=Lax");
        r.headers_mut().insert(
            header::SET_COOKIE,
            HeaderValue::from_str(&cookie).expect("hex token"),
        );
        r
    }

    fn cart_add(&self, req: &Req, sid: Option<String>) -> Resp {
        let form = req.form();
        let item = field(&form, "item_id")
            .parse::<u32>()
            .ok()
            .filter(|id| self.catalogue.get(*id).is_some());
        let Some(item) = item else {
            return html(
                StatusCode::BAD_REQUEST,
                pages::message("Bad request", "item_id must name an existing product."),
            );
        };
        let Some(sid) = sid else {
            return see_other(&format!("/login?next=/products/{item}"));
        };
        let qty = match field(&form, "qty") {
            "" => Some(1),
            q => q
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|q| (1..=99).contains(q)),
        };
        let Some(qty) = qty else {
            return html(
                StatusCode::BAD_REQUEST,
                pages::message("Bad request", "qty must be a whole number from 1 to 99."),
            );
        };
        match self.sessions.update(&sid, |s| s.add(item, qty)) {
            Some(true) => see_other("/cart"),
            Some(false) => html(
                StatusCode::BAD_REQUEST,
                pages::message("Cart full", "The cart has too many lines."),
            ),
            None => see_other("/login?next=/cart"),
        }
    }

    fn checkout(&self, req: &Req, session: Option<(String, crate::session::Session)>) -> Resp {
        let Some((sid, s)) = session else {
            return see_other("/login?next=/checkout");
        };
        if s.cart.is_empty() {
            return see_other("/cart");
        }
        let total = pages::cart_total(&self.catalogue, &s);
        if req.method != Method::POST {
            return html(StatusCode::OK, pages::checkout(&[], "", "", &s.user, total));
        }
        let form = req.form();
        let (name, address, card) = (
            field(&form, "name").trim(),
            field(&form, "address").trim(),
            field(&form, "card"),
        );
        let mut errors = Vec::new();
        if name.is_empty() || name.len() > 100 {
            errors.push(("name", "Full name is required (at most 100 characters)."));
        }
        if address.len() < 5 || address.len() > 200 {
            errors.push(("address", "Address must have 5 to 200 characters."));
        }
        if let Some(e) = card_error(card) {
            errors.push(("card", e));
        }
        if !errors.is_empty() {
            return html(
                StatusCode::BAD_REQUEST,
                pages::checkout(&errors, name, address, &s.user, total),
            );
        }
        self.sessions.update(&sid, |s| s.cart.clear());
        let order = self
            .orders
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        html(StatusCode::OK, pages::confirmed(order, total, &s.user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_and_redirect_targets() {
        assert_eq!(card_error("4111 1111 1111 1111"), None);
        assert!(card_error("4111 1111 1111 1112").is_some());
        assert!(card_error("4111-abcd").is_some());
        assert!(card_error("42").is_some());
        assert_eq!(safe_next("//evil.example"), "/cart");
        assert_eq!(safe_next("https://evil.example"), "/cart");
        assert_eq!(safe_next("/checkout"), "/checkout");
        assert!(valid_user("ann.b") && !valid_user("") && !valid_user("a b"));
    }
}
