/** `text` percent-encoded with lower-case hex digits (`%2b`), as a client may send it: encodeURIComponent writes upper case. */
export const lowerHexEncoded = (text: string): string => encodeURIComponent(text).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase())
