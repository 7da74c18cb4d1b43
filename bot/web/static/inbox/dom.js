/**
 * Small DOM and formatting helpers of the worker inbox.
 * el() is how API text enters the page: as text nodes (the safety rule is in app.js).
 */

/** Creates an element; string children become text nodes, never markup. */
export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined && value !== false) {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  if (children) node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export function byId(id) {
  return document.getElementById(id);
}

/** A string from the API, or "" for anything else (null, numbers, objects). */
export function str(value) {
  return typeof value === "string" ? value : "";
}

/** ISO-8601 → Date; a timestamp without an offset is UTC (JS would read it as local time). */
export function parseTimestamp(value) {
  if (typeof value !== "string" || value === "") return null;
  const hasOffset = /(Z|[+-]\d\d:?\d\d)$/i.test(value) || !value.includes("T");
  const date = new Date(hasOffset ? value : `${value}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function formatDuration(seconds) {
  const minutes = Math.floor(Math.max(0, seconds) / 60);
  if (minutes < 1) return "< 1 min";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const rest = minutes % 60;
    return rest ? `${hours} u ${rest} min` : `${hours} u`;
  }
  const days = Math.floor(hours / 24);
  return days === 1 ? "1 dag" : `${days} dagen`;
}

export function formatTime(date) {
  if (!date) return "";
  const today = new Date().toDateString() === date.toDateString();
  return today
    ? date.toLocaleTimeString("nl-NL", { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleString("nl-NL", { dateStyle: "short", timeStyle: "short" });
}

export function setFormDisabled(form, disabled) {
  for (const control of form.elements) control.disabled = disabled;
}
