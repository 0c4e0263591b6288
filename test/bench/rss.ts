/** "gateway 120 MB, orders 95 MB, …" */
export function formatRss(rss: Record<string, number>): string {
  return Object.entries(rss)
    .map(([name, mb]) => `${name} ${mb.toFixed(0)} MB`)
    .join(", ");
}
