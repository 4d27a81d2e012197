// How messages look: the person's bubble, one card per expert (streamed or from history) and
// the product tiles inside. Live and stored messages share these builders so a reloaded room
// looks the way it did while it streamed.

import * as api from "./api.js";
import { announce, h, won } from "./dom.js";
import { COORDINATOR, expert, SLOT_OF_CATEGORY } from "./experts.js";
import { openTryOn } from "./tryon.js";

let cardSequence = 0;

export function userMessage({ content, imageUrl = null, previewUrl = null }) {
  const picture = previewUrl || imageUrl;
  return h(
    "li",
    { class: "msg msg--user" },
    h(
      "div",
      { class: "bubble" },
      picture
        ? h("img", {
            class: "bubble__photo",
            src: picture,
            alt: "보낸 사진",
            width: 160,
            height: 200,
            loading: "lazy",
            decoding: "async",
          })
        : null,
      h("p", { class: "bubble__text" }, content),
    ),
  );
}

/** A notice in the conversation (an error, "이전 대화 없음"). */
export function notice(text, { error = false } = {}) {
  return h(
    "li",
    { class: `notice${error ? " notice--error" : ""}`, role: error ? "alert" : null },
    text,
  );
}

function withFallback(img, url) {
  // A picture on a host the page's CSP does not list (an imported product's original URL)
  // fails to load; the gateway's allow-listed proxy can still bring it.
  img.addEventListener("error", () => {
    if (img.dataset.proxied || !/^https?:/i.test(url)) {
      img.classList.add("is-broken");
      return;
    }
    img.dataset.proxied = "1";
    img.src = api.proxiedImageUrl(url);
  });
}

/** A product tile: the picture at once, brand/name/price when the catalog answers. */
export function productTile(item) {
  const img = h("img", {
    class: "product__img",
    src: item.product_url,
    alt: "추천 상품",
    width: 512,
    height: 512,
    loading: "lazy",
    decoding: "async",
  });
  withFallback(img, item.product_url);
  const brand = h("p", { class: "product__brand skeleton-text" }, "\u00a0");
  const name = h("p", { class: "product__name skeleton-text" }, "\u00a0");
  const price = h("p", { class: "product__price skeleton-text" }, "\u00a0");
  // The try-on button's place is kept whether or not it comes, so tiles never change height.
  const trySlot = h("div", { class: "product__slot" });
  const tile = h(
    "li",
    { class: "product", "data-product-id": item.product_id },
    h("div", { class: "product__frame" }, img),
    brand,
    name,
    price,
    item.reason ? h("p", { class: "product__reason" }, item.reason) : null,
    trySlot,
  );
  api
    .product(item.product_id)
    .then((info) => {
      brand.textContent = info.brand_name || "\u00a0";
      name.textContent = info.product_name;
      name.title = info.product_name;
      img.alt = `${info.brand_name} ${info.product_name}`.trim();
      price.replaceChildren(...priceParts(info));
      for (const part of [brand, name, price]) part.classList.remove("skeleton-text");
      tile.dataset.category = info.main_category;
      if (SLOT_OF_CATEGORY[info.main_category]) {
        const button = h(
          "button",
          { type: "button", class: "button button--ghost button--small product__try" },
          "입어보기",
        );
        button.setAttribute("aria-label", `${info.product_name} 입어보기`);
        button.addEventListener("click", () =>
          openTryOn({ products: [info], title: `${info.product_name} 입어보기`, opener: button }),
        );
        trySlot.append(button);
      }
    })
    .catch(() => {
      name.textContent = "상품 정보를 불러오지 못했어요";
      for (const part of [brand, name, price]) part.classList.remove("skeleton-text");
    });
  return tile;
}

function priceParts(info) {
  const parts = [];
  if (info.original_price > info.price && info.price > 0) {
    const off = Math.round((1 - info.price / info.original_price) * 100);
    parts.push(
      h(
        "span",
        { class: "product__off" },
        `${off}%`,
        h("span", { class: "visually-hidden" }, " 할인"),
      ),
      " ",
    );
  }
  parts.push(h("strong", {}, info.price > 0 ? won(info.price) : "가격 정보 없음"));
  if (info.original_price > info.price) {
    parts.push(
      h(
        "s",
        { class: "product__was" },
        h("span", { class: "visually-hidden" }, "정가 "),
        won(info.original_price),
      ),
    );
  }
  return parts;
}

/**
 * One expert's card. `live` cards reserve their size (skeleton lines, product placeholders)
 * so streaming text and arriving products do not push the page around.
 * Returns {element, appendText, complete, fail, interrupt, done}.
 */
export function expertCard(agentId, { live = false, agentName = "" } = {}) {
  const who = expert(agentId, agentName);
  const look = agentId === COORDINATOR;
  const headingId = `card-${++cardSequence}`;
  const textNode = document.createTextNode("");
  const text = h(
    "div",
    { class: "card__text" },
    live ? h("span", { class: "skeleton", "aria-hidden": "true" }, h("i"), h("i"), h("i")) : null,
  );
  text.append(textNode);
  const products = h("ul", { class: "products", "aria-label": `${who.name}의 추천 상품` });
  if (live) {
    for (let i = 0; i < 3; i += 1)
      products.append(h("li", { class: "product product--placeholder" }));
  }
  const state = h("p", { class: "card__state", hidden: true });
  const actions = look ? h("div", { class: "card__actions" }) : null;
  let tryButton = null;
  if (look) {
    tryButton = h(
      "button",
      { type: "button", class: "button button--primary card__try", disabled: true },
      "이 코디 입어보기",
    );
    actions.append(tryButton);
  }
  const article = h(
    "article",
    {
      class: `card${look ? " card--look" : ""}${live ? " card--live is-waiting" : ""}`,
      "aria-labelledby": headingId,
      "data-agent": agentId,
    },
    h(
      "header",
      { class: "card__head" },
      h("span", { class: `avatar avatar--${who.id}`, "aria-hidden": "true" }, who.mark),
      h(
        "div",
        { class: "card__who" },
        h("h3", { class: "card__name", id: headingId }, who.name),
        who.tagline ? h("p", { class: "card__tagline" }, who.tagline) : null,
      ),
      look ? h("span", { class: "badge" }, "딱 하나의 코디") : null,
    ),
    text,
    state,
    products,
    actions,
  );
  const element = h("li", { class: "msg msg--expert" }, article);
  let started = false;
  let finished = false;

  function begin() {
    if (started) return;
    started = true;
    text.querySelector(".skeleton")?.remove();
    article.classList.remove("is-waiting");
    article.classList.add("is-streaming");
  }

  function showProducts(items) {
    products.replaceChildren(...items.map(productTile));
    if (!items.length) products.hidden = true;
    if (tryButton) enableLook(items);
  }

  function enableLook(items) {
    // The look can be tried on when at least one of its garments goes on a body.
    Promise.all(items.map((item) => api.product(item.product_id).catch(() => null))).then(
      (infos) => {
        const wearable = infos.filter((info) => info && SLOT_OF_CATEGORY[info.main_category]);
        if (!wearable.length) {
          tryButton.hidden = true;
          return;
        }
        tryButton.disabled = false;
        tryButton.addEventListener("click", () =>
          openTryOn({ products: wearable, title: "이 코디 입어보기", opener: tryButton }),
        );
      },
    );
  }

  function settle(message, { error = false } = {}) {
    article.classList.remove("is-waiting", "is-streaming");
    text.querySelector(".skeleton")?.remove();
    if (message) {
      state.textContent = message;
      state.hidden = false;
      state.classList.toggle("card__state--error", error);
    }
    for (const placeholder of products.querySelectorAll(".product--placeholder")) {
      placeholder.remove();
    }
    if (!products.children.length) products.hidden = true;
  }

  return {
    element,
    get finished() {
      return finished;
    },
    /** A streamed piece of the answer; true the first time (the first visible text). */
    /** A streamed piece of the answer. */
    appendText(delta) {
      begin();
      textNode.appendData(delta);
    },
    /** The whole answer (it replaces the streamed pieces) and its products. */
    complete(message, items = []) {
      begin();
      finished = true;
      textNode.data = message;
      article.classList.remove("is-streaming");
      article.classList.add("is-done");
      showProducts(items);
      if (live) announce(`${who.name}의 답변이 도착했어요.`);
    },
    fail(message) {
      finished = true;
      settle(message || "이 전문가의 답변을 받지 못했어요.", { error: true });
      if (tryButton) tryButton.hidden = true;
    },
    /** The stream stopped before this card finished (stopped, or the connection gave up). */
    interrupt(message) {
      if (finished) return;
      settle(message, { error: true });
      if (tryButton) tryButton.hidden = true;
    },
  };
}

/** A stored message (GET …/messages) as the same element the live turn built. */
export function storedMessage(message) {
  if (message.message_type === "USER") {
    return userMessage({ content: message.content, imageUrl: message.image_url });
  }
  const card = expertCard(message.agent_type ?? "", { agentName: message.agent_name ?? "" });
  card.complete(message.content, message.products ?? []);
  return card.element;
}
