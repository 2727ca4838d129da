// Server HTML into DOM: the one place that parses it, through the page's Trusted Types
// policy when one is set. The server sanitized it; a <template> keeps it inert (scripts
// never run, images do not load until the nodes are adopted into the document).

let trustedTypesPolicy = null

/**
 * Route every server HTML string through `policy.createHTML` (for pages that enforce
 * Trusted Types). `policy` may be a policy, a promise of one, or null to stop using one.
 */
export function setTrustedTypesPolicy(policy) {
  if (policy && typeof policy.then === 'function') {
    policy.then(resolved => {
      trustedTypesPolicy = resolved
    })
  } else {
    trustedTypesPolicy = policy || null
  }
}

/** Parse sanitized server HTML into a DocumentFragment (inert: scripts never run). */
export function parseHTML(html) {
  const template = document.createElement('template')
  template.innerHTML = trustedTypesPolicy ? trustedTypesPolicy.createHTML(html) : html
  return template.content
}
