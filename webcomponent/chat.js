// The features of one <chat-bot> and how they are wired together: the conversation on screen
// (view/), the form (composer/), the reader's actions on messages (actions/), the panels
// (panels/), the server link (core/socket.js) and the options (config.js), over the parts of
// view/parts.js. element.js is the public API around it; this module is what it runs.

import {Composer} from './composer/composer.js'
import {applyConfig, applyDirection, avatars, uploadURL} from './config.js'
import {Conversation} from './view/conversation.js'
import {emit} from './core/events.js'
import {connectExamples, showExamples} from './composer/examples.js'
import {Lazy} from './core/lazy.js'
import {Locale, languageOf, mergeStrings, watchPageLanguage} from './i18n/locale.js'
import {connectMessageActions, copyTranscript, decorateCodeBlocks} from './actions/message-actions.js'
import {createParts} from './view/parts.js'
import * as protocol from './core/protocol.js'
import {parseHTML} from './core/html.js'
import {SavedConversation} from './core/persist.js'
import {SavedHistory} from './panels/saved-history.js'
import {LogScroller} from './view/scroll.js'
import {ChatSocket} from './core/socket.js'
import {TurnNotices} from './panels/turn-notices.js'

/**
 * One element's features, built once (the element's first use) and wired to each other.
 *
 *     const chat = new Chat(element, {config: () => config, strings: () => strings, pageId: () => id})
 *     chat.connect(signal)      // connectedCallback: listeners until `signal` aborts, the socket
 *     chat.disconnect()         // disconnectedCallback
 *     chat.configure()          // the options changed (`config`)
 */
export class Chat {
  /** The shadow DOM parts (view/parts.js). */
  parts
  /** The messages and the turn in progress (Conversation). */
  conversation
  /** The message box, its buttons and files (Composer). */
  composer
  /** The socket to the blueprint at `src` (ChatSocket). */
  socket
  /** The element's language and texts (Locale). */
  locale
  #host
  #options
  #scroller
  #inputs
  #outputs
  #notices
  #history
  #saved = null // SavedConversation: what a reload restores (with `src`, unless persist="none")
  #connected = false
  #stopWatchingPage = null // a page switching its language (<html lang>) switches the element's

  /**
   * `host`: the element. `options`: what the element holds for the page, read when needed:
   * `config()` (the options in effect), `strings()` (the page's overrides of the texts),
   * `pageId()` (the id the page gave the element).
   */
  constructor(host, options) {
    this.#host = host
    this.#options = options
    this.locale = new Locale(host.shadowRoot)
    const parts = (this.parts = createParts(this.applyLanguage(false)))
    this.conversation = new Conversation(host, parts, {
      send: frame => this.socket.send(frame),
      canSend: () => this.socket.canSend,
      online: action => this.socket.whenOnline(action),
      focusInput: () => this.composer.focus(),
      refused: (text, why) => this.composer.giveBack(text, why),
      inputs: () => this.#inputs.value?.values() ?? null,
      shown: () => {
        this.#scroller.follow()
        this.contentChanged()
      },
      turnEnded: () => {
        this.composer.stopping = false
        this.updateControls()
        this.saveSoon()
      },
    })
    // An upload waits for the conversation's key: the socket wakes (if idle) to get it.
    this.composer = new Composer(parts, {
      uploadKey: () => (this.socket.wake(), this.conversation.keys.whenUploadKey()),
      locale: this.locale,
    })
    this.#inputs = new Lazy(() => import('./panels/inputs-panel.js').then(({InputsPanel}) => new InputsPanel(parts.inputsPanel))) // only with some
    const html = {parseHTML, decorateCodeBlocks} // outputs.js, a bundle of its own, shares these
    this.#outputs = new Lazy(() => import('./panels/outputs.js').then(({OutputsPane}) => new OutputsPane(host, parts.outputs, parts.frame, html))) // only with some
    this.#notices = new TurnNotices(parts, this.locale)
    this.#history = new SavedHistory(parts, {
      conversation: this.conversation,
      generating: () => this.conversation.generating,
      focus: () => this.composer.focus(),
      locale: this.locale,
    })
    this.#scroller = new LogScroller(parts.log, parts.scrollButton, () => this.#config.autoscroll !== false)
    this.socket = new ChatSocket(host, parts.status, {
      hello: () => this.conversation.hello(),
      stateChanged: status => this.updateControls(status),
      interrupted: final => this.conversation.interrupt(final),
    })
    host.shadowRoot.append(parts.stylesheet, parts.frame)
    this.configure()
  }

  // The options in effect: the element's, which a page may replace at any time.
  get #config() {
    return this.#options.config()
  }

  /** Whether a message from the reader may go now: no reply is coming, nothing holds it. */
  get canSubmit() {
    return !this.conversation.generating && !this.socket.holdSubmit()
  }

  /** The element is in the page: listen to the reader until `signal` aborts, open the socket. */
  connect(signal) {
    this.#connected = true
    const host = this.#host
    const conversation = this.conversation
    const send = (text, files) => this.canSubmit && conversation.submit(text, null, null, files)
    this.composer.connect(signal, {send, stop: () => host.stop(), activity: () => this.socket.wake()})
    this.#scroller.connect(signal)
    connectMessageActions(this.parts.log, {
      option: (value, element) => this.canSubmit && conversation.submit(value, element?.dataset.id),
      messageText: element => conversation.list.copyTextOf(element),
      copied: element => conversation.copied(element),
      feedback: (element, value) => {
        conversation.feedback(element, value)
        this.saveSoon()
      },
      retry: () => conversation.retry() && this.composer.focus(),
      undo: () => {
        const text = conversation.undo()
        if (text !== null) this.composer.restore(text)
      },
      edit: element => conversation.edits.begin(element),
      version: (element, step) => conversation.edits.step(element, step, () => this.saveSoon()),
      selectable: () => this.#config.selectable === true,
      select: element => conversation.selected(element),
    }, signal)
    // The conversation is saved for a reload when the page goes away, even mid-reply.
    addEventListener('pagehide', () => this.#saved?.save(), {signal})
    const copyAll = this.parts.copyAllButton
    copyAll.addEventListener('click', () => copyTranscript(copyAll, conversation.list.transcript(), this.#config.watermark), {signal})
    this.parts.clearButton.addEventListener('click', () => host.clear(), {signal})
    connectExamples(this.parts.examples, (index, text, inputs) => this.#pickExample(index, text, inputs), signal)
    this.openSocket()
    this.#autofocus()
    this.#stopWatchingPage = watchPageLanguage(() => this.applyLanguage())
    this.applyLanguage() // the page's, now that the element is in it
  }

  /** The element left the page (its listeners go with the signal the element aborts). */
  disconnect() {
    this.#connected = false
    this.#stopWatchingPage?.()
    this.closeSocket()
  }

  /** Show the options in effect (`config()`) in every feature. */
  configure() {
    const config = this.#config
    applyConfig(this.parts, config, this.#host)
    this.composer.limit = config.max_message_chars
    this.composer.files.configure(config, uploadURL(config, this.#host.src))
    if (typeof config.textbox_value === 'string') this.composer.prefill(config.textbox_value)
    this.conversation.list.configure(config, avatars(config))
    showExamples(this.parts.examples, config.examples)
    if (config.additional_inputs?.length || this.#inputs.value) {
      this.#inputs.use(panel => panel.show(config.additional_inputs, config.additional_inputs_accordion))
    }
    if (config.additional_outputs?.length || this.#outputs.value) this.#outputs.use(pane => pane.show(config.additional_outputs))
    this.#notices.mode = config.show_progress
    this.#history.configure(config, this.#host.src, this.#options.pageId())
    this.applyLanguage()
    // The conversation a new page starts with (Chatbot(value=...)), unless it shows one.
    if (Array.isArray(config.value) && config.value.length && !this.conversation.list.size) {
      this.conversation.replace(config.value)
    }
    this.updateControls()
    this.#autofocus()
  }

  /** The element's language and texts (i18n/locale.js), then its direction. Resolves once in place. */
  applyLanguage(withParts = true) {
    const config = this.#config
    return this.locale
      .set(languageOf(this.#host, config), mergeStrings(config.strings, this.#options.strings()))
      .then(() => withParts && applyDirection(this.parts.frame, this.#host, config, this.locale.dir))
  }

  /** A server frame, from the socket or the page. */
  apply(frame) {
    if (!this.conversation.turn.accept(frame)) return // shown already: a resumed turn's (its `seq`)
    if (frame.type === protocol.OUTPUT) this.#outputs.use(pane => pane.apply(frame))
    else if (this.#notices.apply(frame)) return
    else if (this.conversation.apply(frame)) this.contentChanged()
  }

  /** Keep the conversation for a reload, soon (SavedConversation). */
  saveSoon() {
    this.#saved?.schedule()
  }

  /** Scroll to the newest message and follow new content again. */
  scrollToLatest() {
    this.#scroller.scrollToLatest()
  }

  openSocket() {
    const host = this.#host
    if (!host.src) return this.updateControls()
    this.#saved = SavedConversation.open(host, this.conversation, this.#options.pageId())
    this.socket.open(host.src)
  }

  closeSocket() {
    this.#saved?.save()
    this.#saved = null
    this.socket.close()
    this.updateControls()
  }

  contentChanged() {
    this.updateControls()
    this.#scroller.schedule()
    this.saveSoon()
    this.#history.changed()
  }

  // `status`: the socket's, passed in while a connection reports its first state.
  updateControls(status = this.socket.status()) {
    const generating = this.conversation.generating
    const {frame, log} = this.parts
    this.socket.show(status)
    this.composer.show({generating, offline: status.offline})
    frame.toggleAttribute('data-generating', generating)
    this.#notices.generating = generating // the turn's status comes and goes with it
    // Screen readers wait for the whole reply instead of reading every token of it. Written
    // only when it changes: this runs for every patch of a stream.
    const busy = String(generating)
    if (log.getAttribute('aria-busy') !== busy) log.setAttribute('aria-busy', busy)
  }

  // An example card: the server's example_select listeners hear of it, then its text goes in
  // the message box and, with run_examples_on_click, is sent from there (as if typed: an idle
  // socket wakes and the text goes once it is back).
  #pickExample(index, text, inputs) {
    const config = this.#config
    if (emit(this.#host, 'example', {index, text}, true).defaultPrevented) return
    this.socket.send(protocol.example(index))
    if (inputs) this.#inputs.use(panel => panel.set(inputs)) // its values for the additional inputs
    // A cached example always runs (Gradio's rule); sent directly, the server knows which it
    // is. So does one with files (they are the server's): it goes once the socket can send.
    const files = config.examples?.[index]?.files?.length > 0
    if (files) return this.socket.whenOnline(() => this.conversation.submit(text, null, index, [], true))
    const run = config.cache_examples === true || config.run_examples_on_click !== false
    if (run && this.canSubmit && this.conversation.submit(text, null, index)) return
    this.composer.restore(text)
    if (run) this.composer.submit()
  }

  // config.autofocus: the message box, once per element (composer.js).
  #autofocus() {
    if (this.#config.autofocus && this.#host.isConnected && this.#connected) {
      this.composer.autofocusOnce(this.parts, this.#host)
    }
  }
}
