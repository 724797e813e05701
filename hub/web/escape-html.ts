/**
 * The HTML escaping every server-rendered value goes through (text and attribute values):
 * & < > " ' become entities; null and undefined become the empty string.
 */
export function escapeHtml(s: string | number | undefined | null): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
