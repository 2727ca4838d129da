// A feature in a module of its own, fetched the first time it is needed: web/bundle.py serves each
// module the element imports dynamically as a bundle of its own, so a page that never uses the
// feature never loads it. Calls made while it loads wait for it, in order.

/**
 *     const panel = new Lazy(() => import('../panels/inputs-panel.js').then(m => new m.InputsPanel(details)))
 *     panel.use(p => p.show(specs))   // loads it (once), then calls
 *     panel.value?.values()           // null until it has loaded
 */
export class Lazy {
  #load
  #loading = null
  value = null

  constructor(load) {
    this.#load = load
  }

  use(action) {
    if (this.value) return action(this.value)
    this.#loading ??= this.#load().then(value => (this.value = value))
    this.#loading.then(action, () => {
      this.#loading = null // offline: what needed it goes without; the next use tries again
    })
  }
}
