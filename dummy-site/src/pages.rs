//! HTML of every page: plain functions from data to markup, escaped with `html-escape`.

use std::fmt::Write as _;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use crate::catalogue::{Catalogue, Item};
use crate::session::Session;

/// Dollars from cents, as `$12.34`.
pub fn money(cents: u64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

/// The frame of every page: head with CSS and script, header with logo, nav and search.
pub fn layout(title: &str, user: Option<&str>, body: &str) -> String {
    let who = match user {
        Some(u) => format!("<span id=\"user\">Signed in as {}</span>", text(u)),
        None => "<a href=\"/login\">Sign in</a>".to_string(),
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title} · Dummy shop</title><link rel=\"stylesheet\" href=\"/static/app.css\">\
<script src=\"/static/app.js\" defer></script></head><body>\
<header><a href=\"/\"><img src=\"/static/logo.svg\" alt=\"Dummy shop\" width=\"120\" height=\"32\"></a>\
<nav><a href=\"/products\">Products</a><a href=\"/cart\" id=\"cart-link\">Cart</a>{who}</nav>\
<form action=\"/search\" method=\"get\"><input name=\"q\" type=\"search\" placeholder=\"Search\" aria-label=\"Search\"> \
<button type=\"submit\">Search</button></form></header>\
<main>{body}</main></body></html>\n",
        title = text(title)
    )
}

fn card(o: &mut String, i: &Item) {
    let _ = write!(
        o,
        "<a class=\"card\" href=\"/products/{id}\"><img src=\"{img}\" alt=\"{alt}\" width=\"220\" height=\"140\">\
<h3>{name}</h3><div class=\"price\">{price}</div></a>",
        id = i.id,
        img = attr(&i.image),
        alt = attr(&i.name),
        name = text(&i.name),
        price = money(u64::from(i.price_cents)),
    );
}

/// Home: a hero image and featured items rendered in the browser from the JSON API.
pub fn home(user: Option<&str>) -> String {
    layout(
        "Home",
        user,
        "<img class=\"hero\" src=\"/static/hero.svg\" alt=\"\" width=\"1080\" height=\"220\">\
<h1>Featured</h1><div id=\"featured\" class=\"grid\" data-api=\"/api/items?page=1&amp;size=8\">\
<p class=\"muted\">Loading…</p></div>",
    )
}

/// A page of the product list, rendered on the server, with a pager.
pub fn products(cat: &Catalogue, page: usize, size: usize, user: Option<&str>) -> String {
    let mut o = format!(
        "<h1>Products</h1><p class=\"muted\">Page {page}</p><div class=\"grid\" id=\"products\">"
    );
    for i in cat.page(page, size) {
        card(&mut o, i);
    }
    o.push_str("</div><p class=\"pager\">");
    if page > 1 {
        let _ = write!(
            o,
            "<a rel=\"prev\" href=\"/products?page={}\">Previous</a>",
            page - 1
        );
    }
    if page.saturating_mul(size) < cat.len() {
        let _ = write!(
            o,
            "<a rel=\"next\" href=\"/products?page={}\">Next</a>",
            page + 1
        );
    }
    o.push_str("</p>");
    layout("Products", user, &o)
}

/// One product with an add-to-cart form.
pub fn product(i: &Item, user: Option<&str>) -> String {
    let body = format!(
        "<article id=\"product\" data-id=\"{id}\"><img src=\"{img}\" alt=\"{alt}\" width=\"440\" height=\"280\">\
<h1>{name}</h1><p class=\"price\">{price}</p><p>{desc}</p><p class=\"muted\">{cat} · {stock} in stock</p>\
<form method=\"post\" action=\"/cart/add\"><input type=\"hidden\" name=\"item_id\" value=\"{id}\">\
<label>Quantity <input name=\"qty\" type=\"number\" min=\"1\" max=\"99\" value=\"1\"></label> \
<button type=\"submit\" id=\"add-to-cart\">Add to cart</button></form></article>",
        id = i.id,
        img = attr(&i.image),
        alt = attr(&i.name),
        name = text(&i.name),
        price = money(u64::from(i.price_cents)),
        desc = text(&i.description),
        cat = text(i.category),
        stock = i.stock,
    );
    layout(&i.name, user, &body)
}

/// Search results.
pub fn search(cat: &Catalogue, q: &str, ids: &[u32], user: Option<&str>) -> String {
    let mut o = format!(
        "<h1>Search</h1><p id=\"result-count\">{} results for “{}”</p><div class=\"grid\">",
        ids.len(),
        text(q)
    );
    for i in ids.iter().filter_map(|id| cat.get(*id)) {
        card(&mut o, i);
    }
    o.push_str("</div>");
    layout("Search", user, &o)
}

fn error_list(errors: &[(&str, &str)]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let mut o = String::from("<ul class=\"errors\" id=\"errors\">");
    for (field, msg) in errors {
        let _ = write!(o, "<li data-field=\"{}\">{}</li>", attr(field), text(msg));
    }
    o.push_str("</ul>");
    o
}

/// The sign-in form, with errors from a failed attempt.
pub fn login(errors: &[(&str, &str)], username: &str, next: &str) -> String {
    let body = format!(
        "<h1>Sign in</h1>{errs}<form class=\"stack\" method=\"post\" action=\"/login\" id=\"login-form\">\
<input type=\"hidden\" name=\"next\" value=\"{next}\">\
<label for=\"username\">User name</label><input id=\"username\" name=\"username\" value=\"{user}\" autocomplete=\"username\">\
<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\">\
<p><button type=\"submit\" id=\"login\">Sign in</button></p></form>",
        errs = error_list(errors),
        next = attr(next),
        user = attr(username),
    );
    layout("Sign in", None, &body)
}

/// The cart with its lines and total.
pub fn cart(cat: &Catalogue, s: &Session) -> String {
    let mut o = String::from("<h1>Your cart</h1>");
    if s.cart.is_empty() {
        o.push_str("<p id=\"cart-empty\">Your cart is empty. <a href=\"/products\">Browse products</a>.</p>");
    } else {
        o.push_str("<table id=\"cart\"><tr><th>Item</th><th>Qty</th><th>Price</th></tr>");
        for (id, qty) in &s.cart {
            if let Some(i) = cat.get(*id) {
                let _ = write!(
                    o,
                    "<tr data-id=\"{id}\"><td><a href=\"/products/{id}\">{}</a></td><td>{qty}</td><td>{}</td></tr>",
                    text(&i.name),
                    money(u64::from(i.price_cents) * u64::from(*qty))
                );
            }
        }
        let _ = write!(
            o,
            "</table><p>Total: <strong id=\"cart-total\">{}</strong></p><p><a href=\"/checkout\" id=\"to-checkout\">Checkout</a></p>",
            money(cart_total(cat, s))
        );
    }
    layout("Cart", Some(&s.user), &o)
}

/// Total of a cart in cents.
pub fn cart_total(cat: &Catalogue, s: &Session) -> u64 {
    s.cart
        .iter()
        .filter_map(|(id, q)| {
            cat.get(*id)
                .map(|i| u64::from(i.price_cents) * u64::from(*q))
        })
        .sum()
}

/// The checkout form, with errors and the values typed so far.
pub fn checkout(
    errors: &[(&str, &str)],
    name: &str,
    address: &str,
    user: &str,
    total: u64,
) -> String {
    let body = format!(
        "<h1>Checkout</h1><p>Order total: <strong>{total}</strong></p>{errs}\
<form class=\"stack\" method=\"post\" action=\"/checkout\" id=\"checkout-form\">\
<label for=\"name\">Full name</label><input id=\"name\" name=\"name\" value=\"{name}\" autocomplete=\"name\">\
<label for=\"address\">Address</label><input id=\"address\" name=\"address\" value=\"{address}\" autocomplete=\"street-address\">\
<label for=\"card\">Card number</label><input id=\"card\" name=\"card\" inputmode=\"numeric\" autocomplete=\"cc-number\">\
<p><button type=\"submit\" id=\"place-order\">Place order</button></p></form>",
        total = money(total),
        errs = error_list(errors),
        name = attr(name),
        address = attr(address),
    );
    layout("Checkout", Some(user), &body)
}

/// The confirmation after a successful checkout.
pub fn confirmed(order: u64, total: u64, user: &str) -> String {
    let body = format!(
        "<h1>Thank you</h1><p class=\"ok\" id=\"order-confirmation\" data-order=\"{order}\">Order #{order} confirmed: {}</p>",
        money(total)
    );
    layout("Order confirmed", Some(user), &body)
}

/// A short error page.
pub fn message(title: &str, msg: &str) -> String {
    layout(
        title,
        None,
        &format!(
            "<h1>{}</h1><p id=\"message\">{}</p>",
            text(title),
            text(msg)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped() {
        let cat = Catalogue::generate(10, 1);
        let page = search(&cat, "<script>alert(1)</script>", &[], None);
        assert!(!page.contains("<script>alert"));
        assert!(page.contains("&lt;script&gt;"));
        let page = login(&[("username", "bad <b>")], "\"><x", "/cart");
        assert!(page.contains("bad &lt;b&gt;") && !page.contains("\"><x"));
    }

    #[test]
    fn pager_links_only_where_pages_exist() {
        let cat = Catalogue::generate(45, 1);
        let first = products(&cat, 1, 20, None);
        assert!(first.contains("rel=\"next\"") && !first.contains("rel=\"prev\""));
        let last = products(&cat, 3, 20, None);
        assert!(!last.contains("rel=\"next\"") && last.contains("rel=\"prev\""));
        assert_eq!(money(123_456), "$1234.56");
    }
}
