/** Text for HTML: the five characters that matter, as numeric entities (the API's few server-rendered pages). */
export const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
