/**
 * "Hoe gaat het" in Beheer: the service's figures for a period, as tiles and small SVG bar
 * charts (no chart library: the page loads only its own scripts). Every chart has a text
 * alternative (aria-label) and every bar a tooltip (<title>) with its value. Figures only:
 * the API sends no message text.
 */

import { byId, el, formatDuration, str } from "./dom.js";
import { API, errorText } from "./api.js";
import { TEXT } from "./text.js";

const SVG = "http://www.w3.org/2000/svg";
const CHART_HEIGHT = 120;
// Chart units: each day is SLOT wide, its bar BAR; the SVG stretches to the card's width.
const SLOT = 10;
const BAR = 8;

function svg(tag, attrs, children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
  for (const child of children || []) node.append(child);
  return node;
}

function percent(share) {
  return typeof share === "number" ? `${Math.round(share * 100)}%` : "–";
}

function count(value) {
  return Number.isInteger(value) ? value : 0;
}

/** "5 dec": a day of the period, short. */
function dayLabel(iso) {
  const day = new Date(`${str(iso)}T12:00:00`);
  return Number.isNaN(day.getTime()) ? str(iso)
    : day.toLocaleDateString("nl-NL", { day: "numeric", month: "short" });
}

/** The admin's word for an intent (as in the NLU inbox), else its name. */
function intentName(name) {
  return name === "nlu_fallback" ? TEXT.stats.notUnderstood : TEXT.nlu.intents[name] || name;
}

export class StatsView {
  constructor(api, showError) {
    this.api = api;
    this.showError = showError;
    byId("ib-stats-days").addEventListener("change", () => this.load());
  }

  async load() {
    const days = byId("ib-stats-days").value;
    const result = await this.api.get(`${API}/admin/stats?days=${encodeURIComponent(days)}`);
    if (!result.ok || !result.data || !Array.isArray(result.data.days)) {
      if (result.status !== 401) this.showError(errorText(result));
      return;
    }
    this.show(result.data);
  }

  show(data) {
    const t = TEXT.stats;
    const totals = data.totals || {};
    const wait = totals.median_wait_seconds;
    byId("ib-stats-tiles").replaceChildren(
      this.tile(t.conversations, String(count(totals.conversations)), "conversations"),
      this.tile(t.messages, String(count(totals.messages)), "messages"),
      this.tile(t.escalations, `${count(totals.escalations)}`, "escalations",
        count(totals.urgent) ? t.urgent(count(totals.urgent)) : null),
      this.tile(t.wait, typeof wait === "number" ? formatDuration(wait) : "–", "wait"),
      this.tile(t.fallback, percent(totals.fallback_rate), "fallback"),
    );
    const days = data.days;
    const labels = days.map((d) => dayLabel(d.date));
    byId("ib-stats-charts").replaceChildren(
      this.dayChart(t.messagesPerDay, labels, days.map((d) => count(d.messages)), String),
      this.dayChart(t.escalationsPerDay, labels, days.map((d) => count(d.escalations)), String),
      this.dayChart(t.waitPerDay, labels, days.map((d) => d.median_wait_seconds),
        (v) => formatDuration(v)),
      this.dayChart(t.fallbackPerDay, labels, days.map((d) => d.fallback_rate), percent, 1),
      this.rankChart(t.topIntents, (data.top_intents || []).map((i) =>
        [intentName(str(i.intent)), count(i.count)])),
      this.rankChart(t.feedback, Object.entries(data.feedback || {}).map(([rating, n]) =>
        [t.rating[rating] || rating, count(n)])),
    );
  }

  tile(label, value, name, note) {
    return el("div", { class: "ib-stat", "data-stat": name }, [
      el("span", { class: "ib-stat-value" }, [value]),
      el("span", { class: "ib-stat-label" }, [label]),
      note ? el("span", { class: "ib-stat-note" }, [note]) : null,
    ]);
  }

  /** Vertical bars, one per day; a day without a value has no bar. `max` fixes the scale. */
  dayChart(title, labels, values, format, max) {
    const known = values.filter((v) => typeof v === "number");
    const top = max || Math.max(1, ...known);
    const bars = values.map((value, i) => {
      const height = typeof value === "number" ? (value / top) * CHART_HEIGHT : 0;
      const text = `${labels[i]}: ${typeof value === "number" ? format(value) : "–"}`;
      return svg("rect", { x: i * SLOT + (SLOT - BAR) / 2, y: CHART_HEIGHT - height, width: BAR,
        height, class: "ib-bar" }, [svg("title", {}, [text])]);
    });
    const summary = values.map((v, i) => `${labels[i]} ${typeof v === "number" ? format(v) : "–"}`);
    const chart = svg("svg", { class: "ib-chart", role: "img",
      viewBox: `0 0 ${Math.max(1, values.length) * SLOT} ${CHART_HEIGHT}`,
      preserveAspectRatio: "none", "aria-label": `${title}: ${summary.join(", ")}` }, bars);
    return el("figure", { class: "ib-chart-box" }, [
      el("figcaption", {}, [title]), chart,
      el("div", { class: "ib-chart-axis" }, [el("span", {}, [labels[0] || ""]),
        el("span", {}, [labels[labels.length - 1] || ""])]),
    ]);
  }

  /** Horizontal bars with their label and count, largest first. */
  rankChart(title, rows) {
    const top = Math.max(1, ...rows.map(([, n]) => n));
    const list = el("ol", { class: "ib-rank" }, rows.map(([label, n]) => {
      const bar = el("span", { class: "ib-rank-bar" });
      bar.style.width = `${(n / top) * 100}%`; // CSSOM: allowed by the page's policy
      return el("li", {}, [el("span", { class: "ib-rank-label" }, [label]),
        el("span", { class: "ib-rank-track" }, [bar]), el("span", { class: "ib-rank-n" }, [String(n)])]);
    }));
    return el("figure", { class: "ib-chart-box" }, [el("figcaption", {}, [title]),
      rows.length ? list : el("p", { class: "ib-hint" }, [TEXT.stats.none])]);
  }
}
