// The element's icons: small SVGs built with DOM calls (no markup strings, nothing for a CSP
// or Trusted Types to block). A module of its own, without state, so that the modules loaded
// on first use (attachments.js, recorder.js) can import it without a copy of parts.js.

const SVG = 'http://www.w3.org/2000/svg'
const ICONS = {
  send: [['path', {d: 'M12 19V5M5.5 11.5 12 5l6.5 6.5'}]],
  stop: [['rect', {x: '6.5', y: '6.5', width: '11', height: '11', rx: '2', class: 'filled'}]],
  down: [['path', {d: 'M12 5v14M5.5 12.5 12 19l6.5-6.5'}]],
  like: [['path', {d: 'M7 10v10H4V10h3zm0 0 4-7c1.5 0 2.5 1 2.5 2.5L13 9h5.5a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 17.3 20H7'}]],
  dislike: [['path', {d: 'M17 14V4h3v10h-3zm0 0-4 7c-1.5 0-2.5-1-2.5-2.5L11 15H5.5a2 2 0 0 1-2-2.3l1.2-7A2 2 0 0 1 6.7 4H17'}]],
  retry: [['path', {d: 'M20 12a8 8 0 1 1-2.34-5.66M20 4v5h-5'}]],
  undo: [['path', {d: 'M9 14 4 9l5-5M4 9h10.5a5.5 5.5 0 0 1 0 11H11'}]],
  trash: [['path', {d: 'M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3'}]],
  edit: [['path', {d: 'M4 20h4L19 9l-4-4L4 16v4zM13.5 6.5l4 4'}]],
  previous: [['path', {d: 'M14.5 6 8.5 12l6 6'}]],
  next: [['path', {d: 'M9.5 6l6 6-6 6'}]],
  attach: [['path', {d: 'M20 11.5 12.2 19.3a5 5 0 0 1-7.1-7.1l8.2-8.2a3.3 3.3 0 0 1 4.7 4.7l-8.2 8.2a1.7 1.7 0 0 1-2.4-2.4L15 7'}]],
  close: [['path', {d: 'M7 7l10 10M17 7 7 17'}]],
  chats: [['path', {d: 'M4 6h16M4 12h16M4 18h10'}]],
  plus: [['path', {d: 'M12 5v14M5 12h14'}]],
  mic: [['path', {d: 'M12 3a3 3 0 0 1 3 3v6a3 3 0 0 1-6 0V6a3 3 0 0 1 3-3zM5.5 11a6.5 6.5 0 0 0 13 0M12 17.5V21'}]],
}

/** An `<svg>` of the icon `name` (a key of ICONS), hidden from assistive technology. */
export function icon(name) {
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('aria-hidden', 'true')
  svg.setAttribute('focusable', 'false')
  svg.setAttribute('class', 'icon')
  for (const [tag, attributes] of ICONS[name]) {
    const shape = document.createElementNS(SVG, tag)
    for (const [key, value] of Object.entries(attributes)) shape.setAttribute(key, value)
    svg.append(shape)
  }
  return svg
}
