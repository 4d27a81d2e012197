// DOM building without HTML strings: every piece of text goes in as a text node, so nothing a
// person, an expert or the catalog writes can become markup (the page also runs under a CSP
// that forbids inline scripts).

/**
 * h("p", {class: "x", "aria-label": "y"}, "text", child) -> HTMLElement
 * Attribute values are set with setAttribute; `on*` attributes are refused (no inline handlers).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (/^on/i.test(name)) throw new Error(`inline handler ${name} refused`);
    element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent, ...children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} missing from index.html`);
  return element;
}

// One polite live region for short announcements (a finished answer, a loaded page), so screen
// readers hear progress without reading every streamed character.
export function announce(text) {
  const region = byId("announcer");
  region.textContent = "";
  // A new text node after a tick makes repeated identical messages announce again.
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

const PRICE = new Intl.NumberFormat("ko-KR");

export function won(amount) {
  return `${PRICE.format(amount)}원`;
}

const DATE = new Intl.DateTimeFormat("ko-KR", {
  month: "long",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

export function shortDate(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : DATE.format(date);
}
