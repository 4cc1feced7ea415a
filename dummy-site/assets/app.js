// Renders every element that has a data-api attribute: fetches the JSON list of items
// from the site's API and draws a card per item. Marks the element data-loaded="true"
// (or data-error) when done, so browser checks can wait for it.
"use strict";

function card(item) {
  const a = document.createElement("a");
  a.href = "/products/" + item.id;
  a.className = "card";
  const img = document.createElement("img");
  img.src = item.image;
  img.alt = item.name;
  img.width = 220;
  img.height = 140;
  const h = document.createElement("h3");
  h.textContent = item.name;
  const p = document.createElement("div");
  p.className = "price";
  p.textContent = "$" + (item.price_cents / 100).toFixed(2);
  a.append(img, h, p);
  return a;
}

async function render(el) {
  const started = performance.now();
  try {
    const res = await fetch(el.dataset.api, { headers: { Accept: "application/json" } });
    if (!res.ok) throw new Error("HTTP " + res.status);
    const body = await res.json();
    el.replaceChildren(...body.items.map(card));
    el.dataset.loaded = "true";
    el.dataset.renderMs = String(Math.round(performance.now() - started));
  } catch (e) {
    el.dataset.error = String(e);
    el.textContent = "Could not load items: " + e;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-api]").forEach(render);
});
