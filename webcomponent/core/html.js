// Server HTML into DOM: the one place that parses it, through a Trusted Types policy. The
// server sanitized it; a <template> keeps it inert (scripts never run, images do not load
// until the nodes are adopted into the document).

// The page's policy; else, on first use, the element's own 'chat-bot' policy (the standalone
// page's CSP lists it), so that under `require-trusted-types-for 'script'` this is the one
// sink that takes strings. A page whose `trusted-types` does not list the name (createPolicy
// throws) gets none: it sets its own with setTrustedTypesPolicy.
let policy

/**
 * Route every server HTML string through `policy.createHTML` (for pages that enforce
 * Trusted Types). `value` may be a policy, a promise of one, or null to stop using one.
 */
export function setTrustedTypesPolicy(value) {
  policy = null // until a promised one resolves
  if (typeof value?.then === 'function') value.then(resolved => (policy = resolved || null))
  else policy = value || null
}

/** Parse sanitized server HTML into a DocumentFragment (inert: scripts never run). */
export function parseHTML(html) {
  const template = document.createElement('template')
  if (policy === undefined) {
    try {
      policy = trustedTypes.createPolicy('chat-bot', {createHTML: s => s})
    } catch {
      policy = null // no Trusted Types, or not allowed on this page
    }
  }
  template.innerHTML = policy ? policy.createHTML(html) : html
  return template.content
}
