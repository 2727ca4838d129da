// save_history: the reader's past conversations in a side panel (history-panel.js, a bundle of
// its own with its stylesheet, loaded only by chats that save history). This is what the
// element keeps of it: switching the open conversation.

import {Lazy} from '../core/lazy.js'

/**
 *     const history = new SavedHistory(parts, host)  // host: {conversation, generating(), focus(), locale}
 *     history.configure(config, src, id)
 *     history.changed()                              // the open conversation changed
 */
export class SavedHistory {
  #panel

  constructor(parts, {conversation, generating, focus, locale}) {
    const host = {
      t: (name, values) => locale.t(name, values),
      learn: texts => locale.learn(texts),
      busy: generating,
      snapshot: () => ({
        ...conversation.keys.toJSON(), // session, uploadKey, live
        messages: conversation.messages,
        generating: generating(),
      }),
      // Another conversation (or a new one: no session) in place of this one: its hello
      // tells the server, which goes on with it under its own id (a new one for a new chat).
      open: ({session = null, uploadKey = null, live = null, messages = []}) => {
        if (generating()) return
        conversation.keys.set({session, uploadKey, live}) // its other tabs show it live too
        conversation.replace(messages, null, true)
        focus()
      },
    }
    this.#panel = new Lazy(() => import('./history-panel.js').then(({HistoryPanel}) => new HistoryPanel(parts, host).ready))
  }

  configure(config, src, id) {
    if (config.save_history || this.#panel.value) this.#panel.use(panel => panel.configure(config, src, id))
  }

  changed() {
    this.#panel.value?.changed()
  }
}
