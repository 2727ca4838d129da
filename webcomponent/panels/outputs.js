// Additional outputs (config.additional_outputs): values fn returns beside its reply. Every
// `output` frame becomes a `chat-bot-output` event for the page; with the `show-outputs`
// attribute (the standalone page sets it) the element also shows them in a pane beside the
// conversation, a section per output. Loaded on first use (chat.js): only chats with
// additional outputs need it. Being a bundle of its own, it gets the modules that keep state
// (the Trusted Types policy of html.js, the code blocks' buttons) from its caller.

import {emit} from '../core/events.js'

/**
 * The outputs pane (parts.outputs) of `element`.
 *
 *     const outputs = new OutputsPane(element, parts.outputs, parts.frame, {parseHTML, decorateCodeBlocks})
 *     outputs.show(config.additional_outputs)   // [{type, label}]
 *     outputs.apply(frame)                      // an `output` frame
 */
export class OutputsPane {
  #element
  #pane
  #frame
  #html
  #specs = []
  #bodies = []

  constructor(element, pane, frame, html) {
    this.#element = element
    this.#pane = pane
    this.#frame = frame
    this.#html = html
  }

  /** The outputs config.json lists; the pane shows only with the element's `show-outputs`. */
  show(specs) {
    const list = Array.isArray(specs) ? specs : []
    if (JSON.stringify(list) !== JSON.stringify(this.#specs)) {
      this.#specs = list
      this.#bodies = list.map((spec, index) => this.#section(spec, index))
      this.#pane.replaceChildren(...this.#bodies.map(body => body.parentElement))
    }
    const shown = list.length > 0 && this.#element.hasAttribute('show-outputs')
    this.#pane.hidden = !shown
    this.#frame.toggleAttribute('data-outputs', shown)
  }

  /** An `output` frame: tell the page, and show it in the pane. */
  apply(frame) {
    const index = Number.isInteger(frame.index) ? frame.index : -1
    const html = typeof frame.html === 'string' ? frame.html : ''
    emit(this.#element, 'output', {index, label: this.#specs[index]?.label ?? null, html, value: frame.value ?? null})
    const body = this.#bodies[index]
    if (!body) return
    body.replaceChildren(this.#html.parseHTML(html))
    this.#html.decorateCodeBlocks(body)
    body.closest('section').toggleAttribute('data-empty', !html)
  }

  #section(spec, index) {
    const section = document.createElement('section')
    section.className = 'output'
    section.setAttribute('part', 'output')
    section.toggleAttribute('data-empty', true)
    const heading = document.createElement('h2')
    heading.className = 'output-label'
    heading.textContent = typeof spec?.label === 'string' && spec.label ? spec.label : `Output ${index + 1}`
    const body = document.createElement('div')
    body.className = 'output-body content'
    section.setAttribute('aria-label', heading.textContent)
    section.append(heading, body)
    return body
  }
}
