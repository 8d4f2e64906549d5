// The Credits dashboard: plain DOM and SVG over the /api routes, refreshed every few seconds.
// The API key lives in sessionStorage (this tab only) and goes out as a bearer token.
"use strict";

(() => {
  const KEY = "credits.apiKey";
  const REFRESH_MS = 5000;
  const OUTCOMES = ["granted", "duplicate", "pending", "reversed", "unmatched", "ignored", "failed"];
  const svgNs = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);

  let range = "hour";
  let lastStats = null;
  let shownUser = null;
  let busy = false;
  let timer = null;

  // ---- small helpers -------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(svgNs, tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "text") node.textContent = value; else node.setAttribute(name, value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  const number = (n) => Number(n || 0).toLocaleString("en-US");
  const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  const dateTime = (iso) => new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short", hour12: false });
  // Colours are classes (o-granted, ...) in dashboard.css: the page's CSP allows no inline styles.
  const tone = (status) => `o-${OUTCOMES.includes(status) ? status : "ignored"}`;

  function money(cents, currency) {
    if (cents === null || cents === undefined) return "amount unknown";
    try {
      return new Intl.NumberFormat("en-US", { style: "currency", currency: (currency || "usd").toUpperCase() }).format(cents / 100);
    } catch {
      return `${(cents / 100).toFixed(2)} ${currency || ""}`.trim();
    }
  }

  function badge(status) {
    return el("span", { class: `badge ${tone(status)}`, text: status });
  }

  function say(message) {
    $("status").textContent = message;
  }

  // What an operator's last action did: the next refresh shows it instead of "Updated …", so
  // the refresh an action triggers does not wipe its result before anyone can read it.
  let actionResult = null;

  function sayResult(message) {
    actionResult = message;
    say(message);
  }

  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = !message;
  }

  // ---- the API -------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function api(method, path, body, extraHeaders) {
    const headers = { Authorization: `Bearer ${sessionStorage.getItem(KEY) || ""}`, Accept: "application/json", ...(extraHeaders || {}) };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
    } catch {
      throw new ApiError(0, "The Credits server did not answer. Is it running?");
    }
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    if (!response.ok) {
      // problem+json: `detail` is the sentence meant for a person.
      const detail = (json && (json.detail || json.title)) || `${method} ${path} answered ${response.status}.`;
      if (response.status === 401) signOut(`Signed out: ${detail}`);
      throw new ApiError(response.status, detail);
    }
    return json;
  }

  // ---- sign in / out -------------------------------------------------------------------------

  function showSignedIn(signedIn) {
    $("login").hidden = signedIn;
    $("panels").hidden = !signedIn;
    $("session-actions").hidden = !signedIn;
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    clearInterval(timer);
    timer = null;
    showSignedIn(false);
    say(message || "Signed out.");
    $("api-key").focus();
  }

  async function signIn(key) {
    sessionStorage.setItem(KEY, key);
    showSignedIn(true);
    await refresh();
    if (sessionStorage.getItem(KEY)) {
      clearInterval(timer);
      timer = setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
    }
  }

  // ---- refresh -------------------------------------------------------------------------------

  async function refresh() {
    if (busy || !sessionStorage.getItem(KEY)) return;
    busy = true;
    try {
      const [stats, unmatched, failed, endpoints, pending, undelivered] = await Promise.all([
        api("GET", "/api/stats"),
        api("GET", "/api/payments/unmatched?limit=50"),
        api("GET", "/api/events?status=failed&limit=20"),
        api("GET", "/api/webhook-endpoints"),
        api("GET", "/api/webhook-deliveries?status=pending&limit=50"),
        api("GET", "/api/webhook-deliveries?status=failed&limit=20"),
      ]);
      lastStats = stats;
      renderEvents();
      renderCredits(stats);
      renderLatest(stats.latest_events || []);
      renderUnmatched(unmatched.payments || []);
      renderFailed(failed.events || []);
      renderOutbox(endpoints.endpoints || [], [...(undelivered.deliveries || []), ...(pending.deliveries || []).reverse()]);
      if (shownUser) await loadUser(shownUser, false);
      showError("");
      say(actionResult ?? `Updated ${time(stats.generated_at)} · refreshes every ${REFRESH_MS / 1000} s`);
      actionResult = null;
    } catch (e) {
      if (e.status !== 401) showError(e.message);
    } finally {
      busy = false;
    }
  }

  // ---- events chart --------------------------------------------------------------------------

  function renderEvents() {
    if (!lastStats) return;
    const buckets = (range === "hour" ? lastStats.events_per_minute : lastStats.events_per_hour) || [];
    const totals = Object.fromEntries(OUTCOMES.map((o) => [o, 0]));
    for (const b of buckets) for (const [status, n] of Object.entries(b.counts)) totals[status] = (totals[status] || 0) + n;
    const all = Object.values(totals).reduce((a, b) => a + b, 0);
    const label = range === "hour" ? "the last hour, per minute" : "the last day, per hour";

    // Drawn at the width it is shown, so labels keep their size from phone to wide screen.
    const width = Math.max(280, $("events-chart").clientWidth || 720), height = 220, left = 36, bottom = 22, top = 8, right = 24;
    const plotW = width - left - right, plotH = height - top - bottom;
    const max = Math.max(1, ...buckets.map((b) => Object.values(b.counts).reduce((a, n) => a + n, 0)));
    const step = niceStep(max);
    const yMax = Math.ceil(max / step) * step;
    const barW = plotW / Math.max(1, buckets.length);
    const summary = OUTCOMES.filter((o) => totals[o]).map((o) => `${totals[o]} ${o}`).join(", ") || "no events";
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "events-svg-title", preserveAspectRatio: "xMidYMid meet" },
      svg("title", { id: "events-svg-title", text: `Webhook events over ${label}: ${summary}.` }));

    for (let v = 0; v <= yMax; v += step) {
      const y = top + plotH - (v / yMax) * plotH;
      chart.append(svg("line", { class: "gridline", x1: left, x2: width - right, y1: y, y2: y }));
      chart.append(svg("text", { class: "axis", x: left - 6, y: y + 4, "text-anchor": "end", text: String(v) }));
    }
    buckets.forEach((b, i) => {
      const x = left + i * barW;
      let y = top + plotH;
      const group = svg("g", {});
      const parts = OUTCOMES.filter((o) => b.counts[o]).map((o) => `${b.counts[o]} ${o}`);
      group.append(svg("title", { text: `${bucketLabel(b.start)}: ${parts.join(", ") || "no events"}` }));
      for (const o of OUTCOMES) {
        const n = b.counts[o] || 0;
        if (!n) continue;
        const h = (n / yMax) * plotH;
        y -= h;
        group.append(svg("rect", { x: x + barW * 0.12, y, width: Math.max(1, barW * 0.76), height: h, class: tone(o) }));
      }
      chart.append(group);
      const every = range === "hour" ? 10 : 4;
      if ((buckets.length - 1 - i) % every === 0) {
        const last = i === buckets.length - 1;
        chart.append(svg("text", { class: "axis", x: last ? width : x + barW / 2, y: height - 6, "text-anchor": last ? "end" : "middle", text: bucketLabel(b.start) }));
      }
    });
    $("events-chart").replaceChildren(chart);
    $("events-caption").textContent = `${number(all)} events over ${label}.`;
    $("events-legend").replaceChildren(...OUTCOMES.map((o) =>
      el("li", { "data-outcome": o }, el("span", { class: `swatch ${tone(o)}`, "aria-hidden": "true" }), `${o} ${number(totals[o])}`)));
  }

  function bucketLabel(iso) {
    return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  }

  function niceStep(max) {
    const rough = max / 4;
    const power = Math.pow(10, Math.floor(Math.log10(rough || 1)));
    for (const m of [1, 2, 5, 10]) if (m * power >= rough) return Math.max(1, m * power);
    return Math.max(1, 10 * power);
  }

  // ---- credits and backlog -------------------------------------------------------------------

  function renderCredits(stats) {
    const c = stats.credits;
    const rows = [["granted", c.granted, "o-granted"], ["reversed", c.reversed, "o-reversed"], ["spent", c.spent, "o-spent"]];
    const max = Math.max(1, ...rows.map((r) => r[1]));
    const width = Math.max(240, $("credits-chart").clientWidth || 360), rowH = 30, labelW = 72, valueW = 70;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${rows.length * rowH}`, role: "img", "aria-labelledby": "credits-svg-title" },
      svg("title", { id: "credits-svg-title", text: `Credits granted ${c.granted}, reversed ${c.reversed}, spent ${c.spent}.` }));
    rows.forEach(([name, value, cls], i) => {
      const y = i * rowH;
      const w = ((width - labelW - valueW) * value) / max;
      chart.append(svg("text", { class: "axis", x: 0, y: y + 19, text: name }));
      chart.append(svg("rect", { x: labelW, y: y + 6, width: Math.max(value ? 2 : 0, w), height: 18, rx: 3, class: cls }));
      chart.append(svg("text", { class: "axis", x: labelW + w + 6, y: y + 19, text: number(value) }));
    });
    $("credits-chart").replaceChildren(chart);
    const latency = stats.latency || {};
    const figures = [
      ["Granted", number(c.granted), "credits-granted"],
      ["Reversed", number(c.reversed), "credits-reversed"],
      ["Spent", number(c.spent), "credits-spent"],
      ["Outstanding", number(c.granted - c.reversed - c.spent), "credits-outstanding"],
      ["Unmatched waiting", number(stats.unmatched_waiting), "unmatched-waiting"],
      ["Failed events", number(stats.failed_events), "failed-events"],
      ["Processing p95", latency.count ? `${latency.p95_ms.toFixed(1)} ms` : "—", "latency-p95"],
    ];
    $("backlog").replaceChildren(...figures.map(([term, value, id]) => el("div", {}, el("dt", { text: term }), el("dd", { id, text: value }))));
  }

  function renderLatest(events) {
    const rows = events.slice(0, 10).map((e) => el("tr", { "data-event": e.id },
      el("td", { text: time(e.received_at) }),
      el("td", {}, badge(e.status)),
      el("td", {}, el("span", { class: "mono", text: e.id }), el("br"), el("small", { text: e.type })),
      el("td", { class: "mono", text: e.user_id || "—" }),
      el("td", { class: "num", text: e.credits_added ? `+${number(e.credits_added)}` : "0" })));
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "5", class: "empty", text: "No events received yet." })));
    $("latest").tBodies[0].replaceChildren(...rows);
  }

  // ---- unmatched queue -----------------------------------------------------------------------

  // Rows are kept by key across refreshes, so a half-typed user id is not wiped every 5 seconds.
  function keyedRows(list, items, keyOf, make) {
    const existing = new Map([...list.children].map((li) => [li.dataset.key, li]));
    const rows = items.map((item) => existing.get(keyOf(item)) || make(item));
    list.replaceChildren(...rows);
  }

  function renderUnmatched(payments) {
    $("unmatched-count").textContent = `(${payments.length})`;
    $("unmatched-empty").hidden = payments.length > 0;
    keyedRows($("unmatched"), payments, (p) => p.checkout_session_id, unmatchedRow);
  }

  function unmatchedRow(p) {
    const id = p.checkout_session_id;
    const slug = id.replace(/[^A-Za-z0-9_-]/g, "_");
    const userInput = el("input", { id: `assign-user-${slug}`, name: "user_id", autocomplete: "off", required: true });
    const creditsInput = el("input", { id: `assign-credits-${slug}`, name: "credits", type: "number", min: "1", step: "1", inputmode: "numeric", placeholder: p.credits ? String(p.credits) : "" });
    const button = el("button", { type: "submit", "aria-label": `Assign payment ${id} to this user`, text: "Assign" });
    const form = el("form", { class: "row-form", "aria-label": `Assign payment ${id}` },
      el("div", { class: "field" }, el("label", { for: userInput.id, text: "Assign to user id" }), userInput),
      el("div", { class: "field small" }, el("label", { for: creditsInput.id, text: "Credits" }), creditsInput),
      button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await assign(userInput.value.trim(), button);
    });
    // One click per candidate: the accounts the resolver suggested, each with why.
    const candidates = (p.candidates || []).map((c) => {
      const pick = el("button", { type: "button", class: "candidate", title: c.why, "data-candidate": c.user_id, text: `Assign to ${c.user_id}` });
      pick.addEventListener("click", () => assign(c.user_id, pick));
      return el("li", {}, pick, el("span", { class: "why", text: ` ${c.why}` }));
    });
    async function assign(userId, button) {
      const body = { user_id: userId };
      if (creditsInput.value) body.credits = Number(creditsInput.value);
      button.disabled = true;
      try {
        const result = await api("POST", `/api/payments/${encodeURIComponent(id)}/assign`, body);
        showError("");
        sayResult(`Payment ${id} assigned to ${result.user_id}: ${result.status}, ${number(result.credits_added)} credits added, balance ${number(result.balance)}.`);
        $("user-id").value = result.user_id;
        shownUser = result.user_id;
        await refresh();
      } catch (e) {
        if (e.status !== 401) showError(`Could not assign ${id}: ${e.message}`);
      } finally {
        button.disabled = false;
      }
    }
    const details = [money(p.amount_total, p.currency), p.credits ? `${number(p.credits)} credits` : "credits unknown", p.email || "no email"];
    return el("li", { "data-key": id, "data-session": id },
      el("div", { class: "what" },
        el("p", { class: "mono", text: id }),
        el("p", { text: details.join(" · ") }),
        el("p", { class: "reason", text: `${p.reason_code ? `${p.reason_code}: ` : ""}${p.reason || "unmatched"} — since ${dateTime(p.created_at)}` }),
        candidates.length ? el("ul", { class: "candidates", "aria-label": `Candidates for payment ${id}` }, ...candidates) : ""),
      form);
  }

  // ---- failed events -------------------------------------------------------------------------

  function renderFailed(events) {
    $("failed-count").textContent = `(${events.length})`;
    $("failed-empty").hidden = events.length > 0;
    keyedRows($("failed"), events, (e) => e.id, failedRow);
  }

  function failedRow(e) {
    const button = el("button", { type: "button", "aria-label": `Replay event ${e.id}`, text: "Replay" });
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const result = await api("POST", `/api/events/${encodeURIComponent(e.id)}/replay`);
        showError("");
        sayResult(`Event ${e.id} replayed: ${result.status}${result.detail ? ` (${result.detail})` : ""}.`);
        await refresh();
      } catch (err) {
        if (err.status !== 401) showError(`Could not replay ${e.id}: ${err.message}`);
      } finally {
        button.disabled = false;
      }
    });
    return el("li", { "data-key": e.id, "data-event": e.id },
      el("div", { class: "what" },
        el("p", {}, el("span", { class: "mono", text: e.id }), ` · ${e.type} · ${number(e.attempts)} attempt(s) · ${dateTime(e.received_at)}`),
        el("p", { class: "error-text", text: e.error || "no error recorded" })),
      button);
  }

  // ---- outbound webhooks ---------------------------------------------------------------------

  function renderOutbox(endpoints, deliveries) {
    const disabled = endpoints.filter((e) => !e.enabled);
    $("outbox-count").textContent = `(${deliveries.length})`;
    $("outbox-empty").hidden = deliveries.length + disabled.length > 0;
    const rows = [
      ...disabled.map((e) => ({ key: `ep:${e.id}`, make: () => el("li", { "data-key": `ep:${e.id}`, "data-endpoint": e.id },
        el("div", { class: "what" },
          el("p", {}, el("span", { class: "mono", text: e.id }), ` · ${e.url} · disabled`),
          el("p", { class: "error-text", text: e.disabled_reason || "disabled" }))) })),
      ...deliveries.map((d) => ({ key: `msg:${d.id}:${d.status}:${d.attempts}`, make: () => deliveryRow(d) })),
    ];
    keyedRows($("outbox"), rows, (r) => r.key, (r) => r.make());
  }

  function deliveryRow(d) {
    const button = el("button", { type: "button", "aria-label": `Retry message ${d.id}`, text: "Retry" });
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await api("POST", `/api/webhook-deliveries/${encodeURIComponent(d.id)}/retry`);
        showError("");
        sayResult(`Message ${d.id} queued to send again.`);
        await refresh();
      } catch (err) {
        if (err.status !== 401) showError(`Could not retry ${d.id}: ${err.message}`);
      } finally {
        button.disabled = false;
      }
    });
    return el("li", { "data-key": `msg:${d.id}:${d.status}:${d.attempts}`, "data-message": d.id },
      el("div", { class: "what" },
        el("p", {}, badge(d.status), " ", el("span", { class: "mono", text: d.type }), ` · ${d.user_id || "no user"} · ${number(d.attempts)} attempt(s) · ${dateTime(d.created_at)}`),
        el("p", { class: "error-text", text: d.last_error || (d.attempts ? `last answer ${d.last_status_code}` : "waiting for its first attempt") })),
      button);
  }

  // ---- user search ---------------------------------------------------------------------------

  async function loadUser(id, announce) {
    const box = $("user");
    try {
      const path = `/api/users/${encodeURIComponent(id)}`;
      const [user, ledger, lotPage] = await Promise.all([api("GET", path), api("GET", `${path}/ledger?limit=50`), api("GET", `${path}/lots?limit=50`)]);
      const soon = user.expiring_soon;
      const figures = el("dl", { class: "figures" },
        ...[["Balance", user.balance, "user-balance"], ["Held", user.held, "user-held"], ["Available", user.available, "user-available"], ["Debt", user.debt || 0, "user-debt"]]
          .map(([term, value, fid]) => el("div", {}, el("dt", { text: term }), el("dd", { id: fid, text: number(value) }))),
        el("div", {}, el("dt", { text: "Next expiry" }),
          el("dd", { id: "user-next-expiry", text: soon ? `${number(soon.credits)} on ${dateTime(soon.first_expires_at)}` : "none in 7 days" })));
      const lotRows = (lotPage.lots || []).map((l) => el("tr", { "data-lot": String(l.id) },
        el("td", { class: "mono", text: String(l.id) }),
        el("td", { text: l.category }),
        el("td", { class: "mono", text: `${l.source} ${l.source_id}` }),
        el("td", { text: l.state }),
        el("td", { class: "num", text: `${number(l.remaining)} / ${number(l.granted)}` }),
        el("td", { text: l.expires_at ? dateTime(l.expires_at) : "never" })));
      if (!lotRows.length) lotRows.push(el("tr", {}, el("td", { colspan: "6", class: "empty", text: "No credit lots yet." })));
      const lots = el("div", { class: "scroll" }, el("table", { id: "lots" },
        el("caption", { class: "visually-hidden", text: `Credit lots of ${user.id}, active first` }),
        el("thead", {}, el("tr", {}, ...["Lot", "Category", "Source", "State", "Left", "Expires"].map((h) => el("th", { scope: "col", class: h === "Left" ? "num" : null, text: h })))),
        el("tbody", {}, ...lotRows)));
      const rows = (ledger.entries || []).map((e) => el("tr", { "data-entry": String(e.id) },
        el("td", { text: dateTime(e.created_at) }),
        el("td", { text: e.kind }),
        el("td", { class: "mono", text: `${e.source_kind} ${e.source_id}` }),
        el("td", { text: e.reason || "" }),
        el("td", { class: "num", text: e.amount > 0 ? `+${number(e.amount)}` : number(e.amount) }),
        el("td", {}, e.kind === "purchase" ? moveForm(e.source_id, id) : "")));
      if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "6", class: "empty", text: "No ledger entries yet." })));
      const table = el("div", { class: "scroll" }, el("table", { id: "ledger" },
        el("caption", { class: "visually-hidden", text: `Ledger of ${user.id}, newest first` }),
        el("thead", {}, el("tr", {}, ...["When", "Kind", "Source", "Reason", "Credits", "Fix"].map((h) => el("th", { scope: "col", class: h === "Credits" ? "num" : null, text: h })))),
        el("tbody", {}, ...rows)));
      box.replaceChildren(el("h3", { text: `${user.id}${user.email ? ` · ${user.email}` : ""}` }), figures, lots, table);
      shownUser = id;
      if (announce) say(`Showing user ${id}: balance ${number(user.balance)}.`);
    } catch (e) {
      if (e.status === 401) return;
      if (announce || e.status === 404) {
        shownUser = null;
        box.replaceChildren(el("p", { class: "empty", text: e.message }));
      } else {
        showError(e.message);
      }
    }
  }

  // "Move to another user": reassign a purchase that landed on the wrong account.
  function moveForm(sessionId, fromUser) {
    const slug = sessionId.replace(/[^A-Za-z0-9_-]/g, "_");
    const toInput = el("input", { id: `move-to-${slug}`, name: "user_id", autocomplete: "off", required: true });
    const reasonInput = el("input", { id: `move-reason-${slug}`, name: "reason", required: true, value: "paid from the wrong account" });
    const button = el("button", { type: "submit", text: "Move to another user" });
    const form = el("form", { class: "row-form move", "aria-label": `Move purchase ${sessionId} to another user` },
      el("div", { class: "field" }, el("label", { for: toInput.id, text: "Move to user id" }), toInput),
      el("div", { class: "field" }, el("label", { for: reasonInput.id, text: "Reason" }), reasonInput),
      button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      const key = (crypto.randomUUID && crypto.randomUUID()) || `${Date.now()}-${Math.random().toString(16).slice(2)}`;
      try {
        const result = await api("POST", `/api/payments/${encodeURIComponent(sessionId)}/reassign`,
          { user_id: toInput.value.trim(), reason: reasonInput.value.trim() }, { "Idempotency-Key": `dashboard-${key}` });
        showError("");
        sayResult(`Purchase ${sessionId} ${result.status}: ${result.detail}.`);
        await loadUser(fromUser, false);
      } catch (e) {
        if (e.status !== 401) showError(`Could not move ${sessionId}: ${e.message}`);
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }

  // ---- wiring --------------------------------------------------------------------------------

  function setRange(value) {
    range = value;
    $("range-hour").setAttribute("aria-pressed", String(value === "hour"));
    $("range-day").setAttribute("aria-pressed", String(value === "day"));
    renderEvents();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const key = $("api-key").value.trim();
      $("api-key").value = "";
      if (key) signIn(key);
    });
    $("sign-out").addEventListener("click", () => signOut());
    $("refresh").addEventListener("click", () => refresh());
    $("range-hour").addEventListener("click", () => setRange("hour"));
    $("range-day").addEventListener("click", () => setRange("day"));
    $("user-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const id = $("user-id").value.trim();
      if (id) loadUser(id, true);
    });
    window.addEventListener("resize", () => { if (lastStats) { renderEvents(); renderCredits(lastStats); } });
    document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
    if (sessionStorage.getItem(KEY)) signIn(sessionStorage.getItem(KEY));
    else { showSignedIn(false); $("api-key").focus(); }
  });
})();
