// The element's language: which of the built-in locales it speaks, its direction, and its own
// texts (strings.js) in that language with the page's overrides. Modules mark which text a
// node shows (strings.js setText / setLabel); while the element speaks anything but plain
// English, one MutationObserver puts the marked nodes into its language as they are made or
// marked again, so no module needs to know the language. English costs nothing.

import {EN, MARKERS, RTL_LANGUAGES, format} from './strings.js'

// A module per language, fetched only by an element that speaks it (web/bundle.py: a bundle each).
const LOCALES = {
  de: () => import('./locale-de.js'),
  es: () => import('./locale-es.js'),
  fr: () => import('./locale-fr.js'),
  ja: () => import('./locale-ja.js'),
  zh: () => import('./locale-zh.js'),
  ar: () => import('./locale-ar.js'),
  he: () => import('./locale-he.js'),
}
const SELECTOR = Object.keys(MARKERS).map(marker => `[${marker}]`).join(',')

/** The base language of a tag: "de-AT" → "de". */
export function baseLanguage(tag) {
  return String(tag || '').toLowerCase().split(/[-_]/)[0]
}

/**
 * The language `element` speaks: its `lang`, else the chat's (`config.lang`), else the page's,
 * else the browser's.
 */
export function languageOf(element, config) {
  return element.getAttribute('lang') || config.lang || element.parentElement?.closest('[lang]')?.getAttribute('lang') || navigator.language
}

/** Call `changed` whenever the page's language (`<html lang>`) changes; returns how to stop. */
export function watchPageLanguage(changed) {
  const observer = new MutationObserver(changed)
  observer.observe(document.documentElement, {attributes: true, attributeFilter: ['lang']})
  return () => observer.disconnect()
}

/** The chat's overrides of the texts (config.strings) with the page's (element.strings) over them. */
export function mergeStrings(chat, page) {
  const merged = {...chat}
  for (const [key, value] of Object.entries(page ?? {})) {
    merged[key] = value && typeof value === 'object' ? {...merged[key], ...value} : value
  }
  return merged
}

/**
 *     const locale = new Locale(shadowRoot)
 *     await locale.set('de', {send: 'Los'})   // or {de: {send: 'Los'}}
 *     locale.t('queued', {position: 2, size: 3})
 *     locale.lang, locale.dir                  // "de", "ltr"
 */
export class Locale {
  lang = 'en'
  dir = 'ltr'
  #root
  #texts = EN
  #english = EN // with the texts lazily loaded modules bring (learn())
  #observer = null
  #asked = null

  constructor(root) {
    this.#root = root
  }

  /** Text `name` in the element's language, each `{name}` in it replaced by `values[name]`. */
  t(name, values) {
    return format(this.#texts[name] ?? this.#english[name] ?? name, values)
  }

  /** A module loaded on first use brings its texts in English (`{name: text}`; the locales have them all). */
  learn(texts) {
    this.#english = {...this.#english, ...texts}
  }

  /** Numbers as the language writes them (`digits`: after the point). */
  number(value, digits = 0) {
    return new Intl.NumberFormat(this.lang, {minimumFractionDigits: digits, maximumFractionDigits: digits}).format(value)
  }

  /**
   * Speak `tag` (a BCP 47 language tag), with `overrides`: `{name: text}` for any language and
   * `{lang: {name: text}}` for one. A language without a built-in locale speaks English unless
   * the overrides give it texts. Resolves once the texts are in place.
   */
  async set(tag, overrides = {}) {
    const asked = (this.#asked = {})
    const base = baseLanguage(tag)
    let table = {}
    if (LOCALES[base]) {
      try {
        table = (await LOCALES[base]()).STRINGS
      } catch {
        table = {} // offline: English until the next try
      }
    }
    if (asked !== this.#asked) return // another language was asked for meanwhile
    const own = {}
    const forLanguage = {}
    for (const [key, value] of Object.entries(overrides ?? {})) {
      if (typeof value === 'string') own[key] = value
      else if (value && typeof value === 'object' && baseLanguage(key) === base) Object.assign(forLanguage, value)
    }
    const spoken = base === 'en' || Object.keys(table).length || Object.keys(forLanguage).length
    this.lang = spoken ? String(tag) : 'en'
    this.dir = spoken && RTL_LANGUAGES.includes(base) ? 'rtl' : 'ltr'
    this.#texts = {...EN, ...(spoken ? table : {}), ...own, ...forLanguage}
    this.#watch((spoken && base !== 'en') || Object.keys(own).length + Object.keys(forLanguage).length > 0)
    for (const node of this.#root.querySelectorAll(SELECTOR)) this.#translate(node)
  }

  #watch(on) {
    if (!on) {
      this.#observer?.disconnect()
      this.#observer = null
      return
    }
    if (this.#observer) return
    this.#observer = new MutationObserver(records => {
      for (const record of records) {
        if (record.type === 'attributes') this.#translate(record.target)
        else for (const node of record.addedNodes) if (node.nodeType === Node.ELEMENT_NODE) this.#translateTree(node)
      }
    })
    this.#observer.observe(this.#root, {subtree: true, childList: true, attributes: true, attributeFilter: Object.keys(MARKERS)})
  }

  #translateTree(node) {
    if (node.matches(SELECTOR)) this.#translate(node)
    for (const inner of node.querySelectorAll(SELECTOR)) this.#translate(inner)
  }

  // Writes only what differs: the observer sees its own writes, which then change nothing.
  #translate(node) {
    for (const [marker, attribute] of Object.entries(MARKERS)) {
      const name = node.getAttribute(marker)
      if (!name) continue
      const text = this.t(name)
      if (attribute === null) {
        if (node.textContent !== text) node.textContent = text
      } else if (node.getAttribute(attribute) !== text) {
        node.setAttribute(attribute, text)
      }
    }
  }
}
