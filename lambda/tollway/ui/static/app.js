/* Tollway admin UI: a dependency-free client of the admin API (through /ui/api/admin, with the session). */
"use strict";
(function () {
  const S = { me: null, config: { sso: false } };
  const $app = () => document.getElementById("app");

  // ------------------------------------------------------------------ DOM and formatting helpers
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else if (k === "style") el.style.cssText = v; // CSSOM: allowed under the page's style-src 'self'

      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const kid of kids.flat(3)) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }
  const svg = (tag, attrs, ...kids) => {
    const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    for (const kid of kids.flat(2)) if (kid != null) el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    return el;
  };
  const usd = (v) => v == null ? "–" : "$" + Number(v).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: Math.abs(v) < 1 && v !== 0 ? 4 : 2 });
  const num = (v) => v == null ? "–" : Number(v).toLocaleString();
  const pct = (v) => v == null || !isFinite(v) ? "–" : (v * 100).toFixed(1) + "%";
  const when = (iso) => { if (!iso) return "–"; const d = new Date(iso); return isNaN(d) ? String(iso) : d.toLocaleString(); };
  const utcDay = (d) => d.toISOString().slice(0, 10);
  const daysAgo = (n) => { const d = new Date(); d.setUTCDate(d.getUTCDate() - n); return utcDay(d); };
  const short = (s, n = 12) => !s ? "–" : (s.length > n ? s.slice(0, n) + "…" : s);
  const canWrite = () => S.me && S.me.can_write;
  const writeAttrs = () => canWrite() ? {} : { disabled: true, title: "Viewers can look but not change anything" };

  // ------------------------------------------------------------------ API
  class ApiError extends Error { constructor(status, message, code) { super(message); this.status = status; this.code = code; } }
  async function request(url, opts = {}) {
    const init = { method: opts.method || "GET", credentials: "same-origin", headers: { accept: "application/json" } };
    if (opts.body !== undefined) { init.body = JSON.stringify(opts.body); init.headers["content-type"] = "application/json"; }
    if (init.method !== "GET" && S.me) init.headers["x-csrf-token"] = S.me.csrf;
    let res;
    try { res = await fetch(url, init); } catch (e) { throw new ApiError(0, "The gateway could not be reached: " + e.message); }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!res.ok) {
      const err = (data && data.error) || {};
      if (res.status === 401 && S.me && url.indexOf("api/signin") < 0) { S.me = null; renderSignIn(err.message); }
      throw new ApiError(res.status, err.message || ("HTTP " + res.status), err.code);
    }
    return data;
  }
  const qs = (params) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== "") p.set(k, v);
    const s = p.toString();
    return s ? "?" + s : "";
  };
  const api = {
    get: (path, params) => request("api/admin/" + path + qs(params)),
    post: (path, body) => request("api/admin/" + path, { method: "POST", body: body || {} }),
  };

  // ------------------------------------------------------------------ widgets
  function errorBox(e) { return h("div", { class: "error", role: "alert", "data-testid": "error" }, e.message || String(e)); }
  function empty(text) { return h("div", { class: "empty" }, text); }
  function table(columns, rows, opts = {}) {
    if (!rows.length) return empty(opts.empty || "Nothing here yet.");
    return h("table", { "data-testid": opts.testid },
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : "" }, c.label)))),
      h("tbody", {}, rows.map((r) => h("tr", { class: opts.onclick ? "clickable" : "", onclick: opts.onclick ? () => opts.onclick(r) : null },
        columns.map((c) => { const v = c.render ? c.render(r) : r[c.key]; return h("td", { class: c.num ? "num" : "", "data-col": c.key }, v == null ? "–" : v); })))));
  }
  function budgetBar(spend, max, soft) {
    if (!max) return h("span", { class: "mute small" }, usd(spend) + " (no max)");
    const share = Math.min(1, (spend || 0) / max);
    return h("div", { title: `${usd(spend)} of ${usd(max)}${soft ? " (soft " + usd(soft) + ")" : ""}` },
      h("div", { class: "bar" }, h("span", { class: share >= 1 ? "over" : "", style: `width:${(share * 100).toFixed(1)}%` }),
        soft ? h("i", { style: `left:${Math.min(100, (soft / max) * 100).toFixed(1)}%` }) : null),
      h("div", { class: "small mute" }, `${usd(spend)} / ${usd(max)}`));
  }
  function barChart(rows, label, value, fmt = usd) {
    if (!rows.length) return empty("No spend in this period yet. Send a request through the gateway and it shows here.");
    const max = Math.max(...rows.map((r) => r[value] || 0)) || 1;
    return h("div", { class: "hbars" }, rows.slice(0, 12).map((r) => h("div", { class: "hbar", title: `${r[label]}: ${fmt(r[value])}` },
      h("span", { class: "lbl" }, short(String(r[label]), 22)),
      h("span", { class: "track" }, h("span", { class: "chart-bar", "data-value": r[value], style: `width:${(((r[value] || 0) / max) * 100).toFixed(1)}%` })),
      h("span", { class: "val" }, fmt(r[value])))));
  }
  function columnChart(days, values) {
    if (!values.some((v) => v > 0)) return empty("No spend in this period yet.");
    const max = Math.max(...values) || 1, n = values.length;
    const el = svg("svg", { class: "columns", viewBox: `0 0 ${n * 10} 100`, preserveAspectRatio: "none", role: "img" });
    values.forEach((v, i) => {
      const hgt = v > 0 ? Math.max(1.5, (v / max) * 100) : 0;
      el.append(svg("rect", { x: i * 10 + 1, y: 100 - hgt, width: 8, height: hgt, class: "chart-bar", "data-value": v },
        svg("title", {}, `${days[i]}: ${usd(v)}`)));
    });
    return h("div", {}, el, h("div", { class: "axis small mute" }, h("span", {}, days[0]), h("span", {}, days[n - 1])));
  }
  function sparkline(values) {
    const W = 200, H = 36, max = Math.max(...values, 0) || 1, step = values.length > 1 ? W / (values.length - 1) : W;
    const points = values.map((v, i) => `${(i * step).toFixed(1)},${(H - (v / max) * (H - 4) - 2).toFixed(1)}`).join(" ");
    return svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, "data-testid": "sparkline" },
      svg("polyline", { points, fill: "none", stroke: "#2563eb", "stroke-width": 2 }));
  }
  function stat(label, value, testid, raw, extra) {
    return h("div", { class: "card stat" }, h("div", { class: "label" }, label),
      h("div", { class: "value", "data-testid": testid, "data-value": raw }, value), extra || null);
  }
  function dialog(title, body, buttons) {
    const dlg = h("dialog", { "data-testid": "dialog" }, h("h2", {}, title), body, h("div", { class: "actions" }, buttons));
    document.body.append(dlg);
    dlg.addEventListener("close", () => dlg.remove());
    dlg.showModal();
    return dlg;
  }
  function confirmDialog(title, text, action, label = "Delete") {
    const dlg = dialog(title, h("p", {}, text), [
      h("button", { onclick: () => dlg.close() }, "Cancel"),
      h("button", { class: "danger", "data-testid": "confirm", onclick: async () => { dlg.close(); await action(); } }, label)]);
  }
  async function guarded(fn, where) {
    try { await fn(); } catch (e) { (where || $main()).prepend(errorBox(e)); }
  }
  const $main = () => document.querySelector("main");

  // ------------------------------------------------------------------ shell, sign-in, routing
  const PAGES = [["overview", "Overview"], ["keys", "Keys"], ["teams", "Teams"], ["users", "Users"], ["logs", "Spend logs"], ["models", "Models"], ["audit", "Audit log"]];
  function renderSignIn(message) {
    const input = h("input", { type: "password", name: "key", placeholder: "sk-…", autocomplete: "current-password", "data-testid": "signin-key", required: true });
    const status = h("div", {});
    if (message) status.append(errorBox({ message }));
    const form = h("form", {
      onsubmit: async (ev) => {
        ev.preventDefault(); status.replaceChildren();
        try { S.me = await request("api/signin", { method: "POST", body: { key: input.value } }); input.value = ""; start(); }
        catch (e) { status.append(errorBox(e)); }
      },
    }, h("label", {}, "Master key or an admin / viewer key"), input, h("button", { class: "primary", type: "submit", "data-testid": "signin-submit" }, "Sign in"));
    $app().replaceChildren(h("div", { class: "signin card" }, h("h1", {}, "Tollway"), h("p", { class: "mute" }, "Sign in to see spend, keys, teams and logs."), status, form,
      S.config.sso ? h("p", {}, h("a", { class: "button", href: "sso/login", "data-testid": "sso-login" }, "Sign in with SSO")) : null));
  }
  function renderShell() {
    const page = (location.hash.replace(/^#\/?/, "").split("?")[0]) || "overview";
    const who = S.me.key_alias || S.me.user_id || (S.me.via === "master_key" ? "master key" : S.me.via);
    $app().replaceChildren(
      h("header", {}, h("span", { class: "brand" }, "Tollway"),
        h("nav", {}, PAGES.map(([id, label]) => h("a", { href: "#/" + id, class: id === page ? "active" : "" }, label))),
        h("span", { class: "who" }, h("span", { "data-testid": "whoami" }, who), h("span", { class: "badge", "data-testid": "role" }, S.me.role),
          h("button", { onclick: signOut, "data-testid": "signout" }, "Sign out"))),
      h("main", {}, h("p", { class: "loading" }, "Loading…")));
    const render = VIEWS[page] || VIEWS.overview;
    render($main()).catch((e) => { if ($main() && !(e instanceof ApiError && e.status === 401)) $main().replaceChildren(errorBox(e)); });
  }
  async function signOut() {
    try { await request("api/signout", { method: "POST" }); } catch (e) { /* signed out either way */ }
    S.me = null; renderSignIn();
  }
  async function start() {
    try { S.config = await request("api/config"); } catch (e) { S.config = { sso: false }; }
    try { S.me = await request("api/session"); } catch (e) { if (e.status === 401 || e.status === 403) { renderSignIn(e.status === 403 ? e.message : null); return; } $app().replaceChildren(errorBox(e)); return; }
    renderShell();
  }
  window.addEventListener("hashchange", () => S.me && renderShell());

  // ------------------------------------------------------------------ overview
  async function overview(main) {
    const days = Number(new URLSearchParams(location.hash.split("?")[1] || "").get("days") || 30);
    const end = daysAgo(0), start = daysAgo(days - 1), monthStart = end.slice(0, 8) + "01";
    const range = { start_date: start, end_date: end };
    const [byDay, month, byTeam, byModel, byProvider, byKey, teams, recent] = await Promise.all([
      api.get("spend/report", { ...range, group_by: "day" }),
      monthStart >= start ? null : api.get("spend/report", { start_date: monthStart, end_date: end, group_by: "day" }),
      api.get("spend/report", { ...range, group_by: "team" }),
      api.get("spend/report", { ...range, group_by: "model" }),
      api.get("spend/report", { ...range, group_by: "provider" }),
      api.get("spend/report", { ...range, group_by: "key" }),
      api.get("team/list").catch(() => []),
      api.get("spend/logs", { start_date: end, end_date: end, limit: 100 }).catch(() => ({ data: [] })),
    ]);
    const today = (byDay.rows.find((r) => r.day === end) || { spend: 0 }).spend;
    const monthSpend = month ? month.total.spend : byDay.rows.filter((r) => r.day >= monthStart).reduce((a, r) => a + r.spend, 0);
    const series = [], dayLabels = [];
    for (let i = days - 1; i >= 0; i--) { const d = daysAgo(i); dayLabels.push(d); series.push((byDay.rows.find((r) => r.day === d) || { spend: 0 }).spend); }
    const t = byDay.total;
    const lat = (recent.data || []).map((r) => r.latency_ms).filter((v) => typeof v === "number").sort((a, b) => a - b);
    const q = (p) => lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : null;
    const picker = h("select", { "data-testid": "period", onchange: (ev) => { location.hash = "#/overview?days=" + ev.target.value; } },
      [7, 30, 90].map((n) => h("option", { value: n, selected: n === days }, `Last ${n} days`)));
    const topKeys = byKey.rows.slice(0, 5);
    const keyInfo = await Promise.all(topKeys.map((r) => api.get("key/info", { key: r.key }).then((x) => x.info).catch(() => null)));
    const teamSpend = Object.fromEntries(byTeam.rows.map((r) => [r.team, r.spend]));
    const teamRows = (Array.isArray(teams) ? teams : teams.teams || []).filter((x) => x.max_budget)
      .map((x) => ({ ...x, spend: x.spend ?? teamSpend[x.team_id] ?? 0 }));
    main.replaceChildren(
      h("div", { class: "toolbar" }, h("h1", { class: "grow" }, "Overview"), picker),
      h("div", { class: "grid" },
        stat("Spend today (UTC)", usd(today), "spend-today", today),
        stat("Spend this month", usd(monthSpend), "spend-month", monthSpend),
        stat(`Spend, last ${days} days`, usd(t.spend), "spend-period", t.spend, sparkline(series)),
        stat("Requests", num(t.requests), "requests", t.requests, h("div", { class: "small mute" }, `${num(t.errors)} errors (${pct(t.requests ? t.errors / t.requests : null)})`)),
        stat("Latency p50 / p99", lat.length ? `${Math.round(q(0.5))} / ${Math.round(q(0.99))} ms` : "–", "latency", null, h("div", { class: "small mute" }, `last ${lat.length} requests`)),
        stat("Cached prompt tokens", pct(t.prompt_tokens ? t.cached_tokens / t.prompt_tokens : null), "cached-share", null, h("div", { class: "small mute" }, `${num(t.cached_tokens)} of ${num(t.prompt_tokens)}`))),
      h("div", { class: "card" }, h("h2", {}, "Spend by day"), columnChart(dayLabels, series), reportTable(byDay, "day", "by-day-table")),
      h("div", { class: "grid" },
        h("div", { class: "card" }, h("h2", {}, "By team"), barChart(byTeam.rows, "team", "spend"), reportTable(byTeam, "team", "by-team-table")),
        h("div", { class: "card" }, h("h2", {}, "By model"), barChart(byModel.rows, "model", "spend"), reportTable(byModel, "model", "by-model-table")),
        h("div", { class: "card" }, h("h2", {}, "By provider"), barChart(byProvider.rows, "provider", "spend"), reportTable(byProvider, "provider", "by-provider-table"))),
      h("div", { class: "grid" },
        h("div", { class: "card" }, h("h2", {}, "Team budgets"), table([
          { key: "team_alias", label: "Team", render: (r) => r.team_alias || r.team_id },
          { key: "budget", label: `Spend (${days} d) / max, soft marked`, render: (r) => budgetBar(r.spend, r.max_budget, r.soft_budget) }], teamRows,
          { empty: "No team has a max_budget. Set one on the Teams page to track it here." })),
        h("div", { class: "card" }, h("h2", {}, "Top keys"), table([
          { key: "key", label: "Key", render: (r, i) => { const k = keyInfo[topKeys.indexOf(r)]; return k ? (k.key_alias || k.key_name || short(r.key)) : short(r.key); } },
          { key: "spend", label: "Spend", num: true, render: (r) => usd(r.spend) },
          { key: "budget", label: "Budget", render: (r) => { const k = keyInfo[topKeys.indexOf(r)]; return k ? budgetBar(k.spend ?? r.spend, k.max_budget, k.soft_budget) : "–"; } }], topKeys,
          { empty: "No key has spent anything in this period.", testid: "top-keys" }))));
  }
  function reportTable(report, group, testid) {
    return table([{ key: group, label: group[0].toUpperCase() + group.slice(1) },
      { key: "spend", label: "Spend", num: true, render: (r) => usd(r.spend) },
      { key: "requests", label: "Requests", num: true, render: (r) => num(r.requests) },
      { key: "errors", label: "Errors", num: true, render: (r) => num(r.errors) },
      { key: "tokens", label: "Tokens in / out", num: true, render: (r) => `${num(r.prompt_tokens)} / ${num(r.completion_tokens)}` }],
    report.rows, { testid, empty: "No spend in this period yet." });
  }

  // ------------------------------------------------------------------ keys
  const KEY_FIELDS = [
    ["key_alias", "Alias", "text"], ["team_id", "Team id", "text"], ["user_id", "User id", "text"], ["project_id", "Project id", "text"],
    ["models", "Models (comma-separated; empty = all)", "list"], ["max_budget", "Max budget (USD)", "number"],
    ["budget_duration", "Budget period (e.g. 30d)", "text"], ["soft_budget", "Soft budget (USD)", "number"],
    ["rpm_limit", "Requests / minute", "int"], ["tpm_limit", "Tokens / minute", "int"], ["max_parallel_requests", "Parallel requests", "int"],
    ["duration", "Expires after (e.g. 90d)", "text"], ["guardrails", "Guardrails (comma-separated)", "list"], ["tags", "Tags (comma-separated)", "list"],
    ["metadata", "Metadata (JSON object)", "json"]];
  function keyForm(record) {
    const inputs = {};
    const fields = KEY_FIELDS.map(([name, label, kind]) => {
      let value = record ? record[name] : undefined;
      if (kind === "list" && Array.isArray(value)) value = value.join(", ");
      if (kind === "json" && value) value = JSON.stringify(value);
      const input = kind === "json" ? h("textarea", { name, rows: 2 }, value || "") : h("input", { name, type: kind === "number" || kind === "int" ? "number" : "text", step: kind === "number" ? "any" : "1", value: value ?? "" });
      inputs[name] = [input, kind, value ?? ""];
      return h("label", { class: kind === "json" ? "wide" : "" }, label, input);
    });
    const read = () => {
      const body = {};
      for (const [name, [input, kind, initial]] of Object.entries(inputs)) {
        const raw = input.value.trim();
        if (record && raw === String(initial)) continue;
        if (raw === "") { if (record && initial !== "") body[name] = kind === "list" ? [] : null; continue; }
        if (kind === "number") body[name] = Number(raw);
        else if (kind === "int") body[name] = parseInt(raw, 10);
        else if (kind === "list") body[name] = raw.split(",").map((s) => s.trim()).filter(Boolean);
        else if (kind === "json") body[name] = JSON.parse(raw);
        else body[name] = raw;
      }
      return body;
    };
    return { el: h("div", { class: "form" }, fields), read };
  }
  function showSecret(title, answer) {
    const secret = h("div", { class: "secret", "data-testid": "new-key" }, answer.key);
    const copy = h("button", { onclick: async () => { try { await navigator.clipboard.writeText(answer.key); copy.textContent = "Copied"; } catch (e) { copy.textContent = "Select and copy it"; } } }, "Copy");
    const dlg = dialog(title, h("div", {}, h("p", {}, "This is the only time the key is shown. Store it now."), secret),
      [copy, h("button", { class: "primary", onclick: () => { dlg.close(); renderShell(); } }, "Done")]);
  }
  async function keys(main) {
    const params = new URLSearchParams(location.hash.split("?")[1] || "");
    const page = Number(params.get("page") || 1), search = params.get("search") || "", cursor = params.get("cursor") || "", size = 25;
    const data = await api.get("key/list", { page, size, search, cursor, return_full_object: "true" });
    const spendOf = (r) => r.spend ?? 0;
    const go = (p, s, c) => { location.hash = "#/keys" + qs({ page: p > 1 ? p : "", search: s, cursor: c || "" }); };
    const back = () => { if (history.length > 1 && page > 1) history.back(); else go(1, search); };
    const box = h("input", { type: "search", placeholder: "Search alias, name, team, user…", value: search, "data-testid": "key-search" });
    const create = () => {
      const form = keyForm(null), status = h("div", {});
      const dlg = dialog("Create key", h("div", {}, status, form.el), [h("button", { onclick: () => dlg.close() }, "Cancel"),
        h("button", { class: "primary", "data-testid": "create-key-submit", onclick: async () => {
          status.replaceChildren();
          try { const answer = await api.post("key/generate", form.read()); dlg.close(); showSecret("Key created", answer); } catch (e) { status.append(errorBox(e)); }
        } }, "Create")]);
    };
    const act = async (what, fn) => guarded(async () => { await fn(); renderShell(); }, main);
    const edit = (r) => {
      const form = keyForm(r), status = h("div", {});
      const dlg = dialog("Edit key " + (r.key_alias || r.key_name), h("div", {}, status, form.el), [h("button", { onclick: () => dlg.close() }, "Cancel"),
        h("button", { class: "primary", onclick: async () => { try { await api.post("key/update", { key: r.token, ...form.read() }); dlg.close(); renderShell(); } catch (e) { status.append(errorBox(e)); } } }, "Save")]);
    };
    const status = (r) => r.blocked ? h("span", { class: "badge bad" }, "blocked") : (r.expires && new Date(r.expires) < new Date() ? h("span", { class: "badge warn" }, "expired") : h("span", { class: "badge ok" }, "active"));
    main.replaceChildren(
      h("div", { class: "toolbar" }, h("h1", { class: "grow" }, "Keys"),
        h("form", { onsubmit: (ev) => { ev.preventDefault(); go(1, box.value.trim()); } }, box, " ", h("button", { type: "submit" }, "Search")),
        h("button", { class: "primary", onclick: create, "data-testid": "create-key", ...writeAttrs() }, "Create key")),
      h("div", { class: "card" }, table([
        { key: "alias", label: "Alias", render: (r) => h("span", { "data-testid": "key-alias" }, r.key_alias || "–") },
        { key: "name", label: "Key", render: (r) => h("code", {}, r.key_name || short(r.token)) },
        { key: "team_id", label: "Team" }, { key: "user_id", label: "User" },
        { key: "models", label: "Models", render: (r) => (r.models || []).join(", ") || "all" },
        { key: "budget", label: "Spend / max", render: (r) => budgetBar(spendOf(r), r.max_budget, r.soft_budget) },
        { key: "limits", label: "Limits", render: (r) => [r.rpm_limit != null ? r.rpm_limit + " rpm" : null, r.tpm_limit != null ? r.tpm_limit + " tpm" : null, r.max_parallel_requests != null ? r.max_parallel_requests + " parallel" : null].filter(Boolean).join(", ") || "–" },
        { key: "expires", label: "Expires", render: (r) => when(r.expires) },
        { key: "status", label: "Status", render: status },
        { key: "actions", label: "", render: (r) => h("span", { class: "toolbar", style: "margin:0;flex-wrap:nowrap" },
          h("button", { onclick: () => edit(r), ...writeAttrs() }, "Edit"),
          h("button", { "data-testid": r.blocked ? "unblock" : "block", onclick: () => act("block", () => api.post(r.blocked ? "key/unblock" : "key/block", { key: r.token })), ...writeAttrs() }, r.blocked ? "Unblock" : "Block"),
          h("button", { onclick: () => confirmDialog("Regenerate key?", "The current secret stops working at once.", () => guarded(async () => showSecret("Key regenerated", await api.post("key/regenerate", { key: r.token })), main), "Regenerate"), ...writeAttrs() }, "Regenerate"),
          h("button", { class: "danger", "data-testid": "delete", onclick: () => confirmDialog("Delete key?", `Delete ${r.key_alias || r.key_name}? Requests with it fail from now on.`, () => act("delete", () => api.post("key/delete", { keys: [r.token] }))), ...writeAttrs() }, "Delete")) }],
      data.keys, { testid: "keys-table", empty: search ? "No key matches this search." : "No keys yet. Create one with “Create key”, then use it as the API key of any OpenAI client." }),
      h("div", { class: "toolbar", style: "margin-top:10px" },
        h("button", { disabled: page <= 1, onclick: back }, "Previous"),
        h("span", { class: "mute", "data-testid": "key-pages" }, `Page ${page}` + (data.total_pages != null ? ` of ${data.total_pages}` : "") +
          (data.total_count != null ? ` · ${num(data.total_count)} keys` : data.has_more ? " · more keys may match: press Next" : " · last page")),
        h("button", { disabled: !data.has_more, onclick: () => go(page + 1, search, data.next_cursor), "data-testid": "next-page" }, "Next"))));
  }

  // ------------------------------------------------------------------ teams and users
  async function teams(main) {
    const id = new URLSearchParams(location.hash.split("?")[1] || "").get("id");
    if (id) return team(main, id);
    const [list, report] = await Promise.all([api.get("team/list"),
      api.get("spend/report", { group_by: "team", start_date: daysAgo(29), end_date: daysAgo(0) }).catch(() => ({ rows: [] }))]);
    const spent = Object.fromEntries(report.rows.map((r) => [r.team, r.spend]));
    const rows = (Array.isArray(list) ? list : (list.teams || [])).map((t) => ({ ...t, spend: t.spend ?? spent[t.team_id] ?? 0 }));
    const create = () => {
      const alias = h("input", { name: "team_alias" }), budget = h("input", { type: "number", step: "any" }), models = h("input", {}), status = h("div", {});
      const dlg = dialog("New team", h("div", {}, status, h("div", { class: "form" }, h("label", {}, "Team alias", alias), h("label", {}, "Max budget (USD)", budget), h("label", { class: "wide" }, "Models (comma-separated)", models))),
        [h("button", { onclick: () => dlg.close() }, "Cancel"), h("button", { class: "primary", onclick: async () => {
          const body = { team_alias: alias.value.trim() || undefined };
          if (budget.value) body.max_budget = Number(budget.value);
          if (models.value.trim()) body.models = models.value.split(",").map((s) => s.trim()).filter(Boolean);
          try { await api.post("team/new", body); dlg.close(); renderShell(); } catch (e) { status.append(errorBox(e)); }
        } }, "Create")]);
    };
    main.replaceChildren(h("div", { class: "toolbar" }, h("h1", { class: "grow" }, "Teams"), h("button", { class: "primary", onclick: create, ...writeAttrs() }, "New team")),
      h("div", { class: "card" }, table([
        { key: "team_alias", label: "Team", render: (r) => r.team_alias || r.team_id }, { key: "team_id", label: "Id" },
        { key: "members", label: "Members", num: true, render: (r) => num((r.members_with_roles || r.members || []).length) },
        { key: "models", label: "Models", render: (r) => (r.models || []).join(", ") || "all" },
        { key: "budget", label: "Spend (30 d) / max", render: (r) => budgetBar(r.spend, r.max_budget, r.soft_budget) },
        { key: "blocked", label: "Status", render: (r) => r.blocked ? h("span", { class: "badge bad" }, "blocked") : h("span", { class: "badge ok" }, "active") }],
      rows, { onclick: (r) => { location.hash = "#/teams?id=" + encodeURIComponent(r.team_id); }, empty: "No teams yet. Create one to group keys and give them a shared budget." })));
  }
  async function team(main, id) {
    const info = await api.get("team/info", { team_id: id });
    const t = info.team_info || info;
    const members = t.members_with_roles || [];
    const user = h("input", { placeholder: "user id", "data-testid": "member-user" });
    const role = h("select", {}, h("option", { value: "user" }, "member"), h("option", { value: "admin" }, "admin"));
    main.replaceChildren(h("div", { class: "toolbar" }, h("a", { href: "#/teams" }, "← Teams"), h("h1", { class: "grow" }, t.team_alias || t.team_id)),
      h("div", { class: "grid" }, stat("Spend", usd(t.spend || 0), "team-spend", t.spend), stat("Max budget", usd(t.max_budget), "team-max", t.max_budget, t.budget_duration ? h("div", { class: "small mute" }, "resets every " + t.budget_duration) : null),
        stat("Limits", [t.rpm_limit != null ? t.rpm_limit + " rpm" : null, t.tpm_limit != null ? t.tpm_limit + " tpm" : null].filter(Boolean).join(", ") || "none", "team-limits")),
      h("div", { class: "card" }, h("h2", {}, "Members"),
        table([{ key: "user_id", label: "User" }, { key: "role", label: "Role" }, { key: "x", label: "", render: (m) => h("button", { class: "danger", ...writeAttrs(), onclick: () => confirmDialog("Remove member?", `Remove ${m.user_id} from this team?`, () => guarded(async () => { await api.post("team/member_delete", { team_id: id, user_id: m.user_id }); renderShell(); }), "Remove") }, "Remove") }],
          members, { empty: "No members yet. Add a user id below." }),
        h("form", { class: "toolbar", style: "margin-top:10px", onsubmit: (ev) => { ev.preventDefault(); guarded(async () => { await api.post("team/member_add", { team_id: id, member: [{ user_id: user.value.trim(), role: role.value }] }); renderShell(); }); } },
          user, role, h("button", { type: "submit", ...writeAttrs() }, "Add member"))),
      h("div", { class: "card" }, h("h2", {}, "Keys"), table([{ key: "key_alias", label: "Alias" }, { key: "key_name", label: "Key" },
        { key: "budget", label: "Spend / max", render: (r) => budgetBar(r.spend || 0, r.max_budget, r.soft_budget) }], info.keys || [], { empty: "This team has no keys. Create one on the Keys page with this team id." })));
  }
  async function users(main) {
    const id = new URLSearchParams(location.hash.split("?")[1] || "").get("id");
    if (id) {
      const info = await api.get("user/info", { user_id: id });
      const u = info.user_info || info;
      main.replaceChildren(h("div", { class: "toolbar" }, h("a", { href: "#/users" }, "← Users"), h("h1", { class: "grow" }, u.user_email || u.user_id)),
        h("div", { class: "grid" }, stat("Role", u.user_role || "internal_user", "user-role"), stat("Spend", usd(u.spend || 0), "user-spend", u.spend), stat("Max budget", usd(u.max_budget), "user-max", u.max_budget)),
        h("div", { class: "card" }, h("h2", {}, "Teams"), table([{ key: "team_id", label: "Team" }, { key: "role", label: "Role" }], info.teams || u.teams || [], { empty: "Not in any team." })),
        h("div", { class: "card" }, h("h2", {}, "Keys"), table([{ key: "key_alias", label: "Alias" }, { key: "key_name", label: "Key" }, { key: "budget", label: "Spend / max", render: (r) => budgetBar(r.spend || 0, r.max_budget, r.soft_budget) }], info.keys || [], { empty: "No keys." })));
      return;
    }
    const list = await api.get("user/list");
    const rows = Array.isArray(list) ? list : (list.users || []);
    const create = () => {
      const uid = h("input", {}), email = h("input", { type: "email" }), role = h("select", {}, ["internal_user", "proxy_admin_viewer", "proxy_admin"].map((r) => h("option", { value: r }, r))), status = h("div", {});
      const dlg = dialog("New user", h("div", {}, status, h("div", { class: "form" }, h("label", {}, "User id", uid), h("label", {}, "Email", email), h("label", {}, "Role", role))),
        [h("button", { onclick: () => dlg.close() }, "Cancel"), h("button", { class: "primary", onclick: async () => {
          try { await api.post("user/new", { user_id: uid.value.trim() || undefined, user_email: email.value.trim() || undefined, user_role: role.value }); dlg.close(); renderShell(); } catch (e) { status.append(errorBox(e)); }
        } }, "Create")]);
    };
    main.replaceChildren(h("div", { class: "toolbar" }, h("h1", { class: "grow" }, "Users"), h("button", { class: "primary", onclick: create, ...writeAttrs() }, "New user")),
      h("div", { class: "card" }, table([{ key: "user_id", label: "User" }, { key: "user_email", label: "Email" }, { key: "user_role", label: "Role" },
        { key: "budget", label: "Spend / max", render: (r) => budgetBar(r.spend || 0, r.max_budget, r.soft_budget) }],
      rows, { onclick: (r) => { location.hash = "#/users?id=" + encodeURIComponent(r.user_id); }, empty: "No users yet. Create one, or let SSO users sign in." })));
  }

  // ------------------------------------------------------------------ spend logs
  const LOG_FILTERS = [["team_id", "team"], ["key_digest", "key alias or digest"], ["user_id", "user"], ["model", "model"], ["status", "status"], ["project_id", "project"]];
  async function logs(main) {
    const params = new URLSearchParams(location.hash.split("?")[1] || "");
    const filters = { start_date: params.get("start_date") || daysAgo(6), end_date: params.get("end_date") || daysAgo(0) };
    for (const [name] of LOG_FILTERS) if (params.get(name)) filters[name] = params.get(name);
    const tag = params.get("tag") || "";
    const cursor = params.get("cursor") || "";
    if (filters.key_digest && !/^[0-9a-f]{64}$/.test(filters.key_digest)) {  // an alias: look its digest up
      const found = await api.get("key/list", { key_alias: filters.key_digest, return_full_object: "true" });
      if (!found.keys.length) throw new ApiError(404, `No key with alias '${filters.key_digest}'.`);
      filters.key_digest = found.keys[0].token;
    }
    const data = await api.get("spend/logs", { ...filters, limit: 50, cursor });
    const rows = tag ? data.data.filter((r) => (r.tags || []).includes(tag)) : data.data;
    const inputs = {};
    const field = (name, label, type = "text") => { inputs[name] = h("input", { type, name, value: (name === "tag" ? tag : filters[name]) || "", placeholder: label, "data-testid": "filter-" + name }); return inputs[name]; };
    const apply = (extra) => { const q = {}; for (const [k, el] of Object.entries(inputs)) q[k] = el.value.trim(); location.hash = "#/logs" + qs({ ...q, ...extra }); };
    const detail = (r) => dialog("Request " + (r.request_id || ""), h("pre", { "data-testid": "log-detail" }, JSON.stringify(r, null, 2)), [h("button", { onclick: (ev) => ev.target.closest("dialog").close() }, "Close")]);
    const exportCsv = () => guarded(async () => {
      const all = []; let next = "";
      for (let i = 0; i < 20; i++) { const page = await api.get("spend/logs", { ...filters, limit: 1000, cursor: next }); all.push(...page.data); if (!page.next_cursor) break; next = page.next_cursor; }
      const cols = ["request_id", "started_at", "ended_at", "model", "provider", "deployment_id", "team_id", "project_id", "user_id", "key_digest", "end_user", "status", "error_type", "cost", "prompt_tokens", "completion_tokens", "cached_tokens", "latency_ms"];
      const cell = (v) => { const s = v == null ? "" : String(v); return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; };
      const csv = [cols.join(","), ...all.filter((r) => !tag || (r.tags || []).includes(tag)).map((r) => cols.map((c) => cell(r[c])).join(","))].join("\n");
      const a = h("a", { href: URL.createObjectURL(new Blob([csv], { type: "text/csv" })), download: `tollway-spend-${filters.start_date}-${filters.end_date}.csv` });
      document.body.append(a); a.click(); a.remove();
    }, main);
    main.replaceChildren(h("div", { class: "toolbar" }, h("h1", { class: "grow" }, "Spend logs"), h("button", { onclick: exportCsv, "data-testid": "export-csv" }, "Export CSV")),
      h("form", { class: "card toolbar", onsubmit: (ev) => { ev.preventDefault(); apply({}); } },
        field("start_date", "from", "date"), field("end_date", "to", "date"), LOG_FILTERS.map(([n, l]) => field(n, l)), field("tag", "tag"), h("button", { type: "submit" }, "Filter")),
      h("div", { class: "card" }, table([
        { key: "started_at", label: "Time", render: (r) => when(r.started_at) }, { key: "model", label: "Model" }, { key: "team_id", label: "Team" },
        { key: "user_id", label: "User" }, { key: "status", label: "Status", render: (r) => h("span", { class: "badge " + (r.status === "success" ? "ok" : "bad") }, r.status || "–") },
        { key: "tokens", label: "Tokens in / out", num: true, render: (r) => `${num(r.prompt_tokens)} / ${num(r.completion_tokens)}` },
        { key: "latency_ms", label: "Latency", num: true, render: (r) => r.latency_ms == null ? "–" : Math.round(r.latency_ms) + " ms" },
        { key: "cost", label: "Cost", num: true, render: (r) => usd(r.cost) }], rows,
      { onclick: detail, testid: "logs-table", empty: "No requests match. Widen the date range or clear a filter; new requests show up here as they finish." }),
      h("div", { class: "toolbar", style: "margin-top:10px" }, cursor ? h("button", { onclick: () => apply({}) }, "First page") : null,
        data.next_cursor ? h("button", { onclick: () => apply({ cursor: data.next_cursor }), "data-testid": "logs-next" }, "Next page") : h("span", { class: "mute small" }, "End of results"))));
  }

  // ------------------------------------------------------------------ models, audit
  async function models(main) {
    const data = await request("api/models");
    const healthBox = h("div", {});
    const probe = () => guarded(async () => {
      healthBox.replaceChildren(h("p", { class: "mute" }, "Probing every deployment…"));
      const report = await api.get("health");
      healthBox.replaceChildren(h("pre", { "data-testid": "health" }, JSON.stringify(report, null, 2)));
    }, healthBox);
    const price = (v) => v == null ? "–" : "$" + Number(v).toLocaleString(undefined, { maximumFractionDigits: 4 });
    main.replaceChildren(h("div", { class: "toolbar" }, h("h1", { class: "grow" }, "Models"), h("span", { class: "mute" }, "routing: " + data.routing_strategy),
      h("button", { onclick: probe, title: "Sends one tiny request to each deployment" }, "Run health check")), healthBox,
      ...(data.groups.length ? data.groups.map((g) => h("div", { class: "card" }, h("h2", {}, g.model_name), table([
        { key: "id", label: "Deployment" }, { key: "provider", label: "Provider" }, { key: "model", label: "Model" },
        { key: "in", label: "Input / 1M", num: true, render: (d) => price(d.input_per_1m) }, { key: "out", label: "Output / 1M", num: true, render: (d) => price(d.output_per_1m) },
        { key: "cached", label: "Cached / 1M", num: true, render: (d) => price(d.cached_input_per_1m) },
        { key: "limits", label: "Limits", render: (d) => [d.rpm ? d.rpm + " rpm" : null, d.tpm ? d.tpm + " tpm" : null].filter(Boolean).join(", ") || "–" },
        { key: "state", label: "Health", render: (d) => d.cooling_down ? h("span", { class: "badge bad" }, `cooling down ${d.cooldown_seconds_left}s`) : h("span", { class: "badge ok" }, "available") },
        { key: "latency_ms", label: "Latency", num: true, render: (d) => d.latency_ms == null ? "–" : d.latency_ms + " ms" }], g.deployments)))
        : [empty("No models configured. Add entries to model_list in config.yaml and restart.")]));
  }
  async function audit(main) {
    const params = new URLSearchParams(location.hash.split("?")[1] || "");
    const q = { action: params.get("action") || "", actor: params.get("actor") || "", cursor: params.get("cursor") || "" };
    const data = await api.get("audit", { ...q, limit: 50 });
    const rows = data.entries || [];
    const action = h("input", { placeholder: "action, e.g. key.generate", value: q.action }), actor = h("input", { placeholder: "actor", value: q.actor });
    main.replaceChildren(h("div", { class: "toolbar" }, h("h1", { class: "grow" }, "Audit log")),
      h("form", { class: "card toolbar", onsubmit: (ev) => { ev.preventDefault(); location.hash = "#/audit" + qs({ action: action.value.trim(), actor: actor.value.trim() }); } }, action, actor, h("button", { type: "submit" }, "Filter")),
      h("div", { class: "card" }, table([{ key: "at", label: "Time", render: (r) => when(r.time) }, { key: "actor", label: "Actor" }, { key: "action", label: "Action" },
        { key: "target", label: "Target", render: (r) => `${r.target_type || ""} ${short(r.target_id || "", 16)}` }], rows,
      { onclick: (r) => dialog("Audit entry", h("pre", {}, JSON.stringify(r, null, 2)), [h("button", { onclick: (ev) => ev.target.closest("dialog").close() }, "Close")]), empty: "No changes recorded yet. Every change made through the admin API or this UI appears here." }),
      data.next_cursor ? h("button", { style: "margin-top:10px", onclick: () => { location.hash = "#/audit" + qs({ ...q, cursor: data.next_cursor }); } }, "Older") : null));
  }

  const VIEWS = { overview, keys, teams, users, logs, models, audit };
  start();
})();
