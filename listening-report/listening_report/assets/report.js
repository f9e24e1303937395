// Draws the listening report from the JSON embedded in the page. No network, no libraries:
// plain DOM and SVG, text set with textContent only (track names are user data).
(function () {
  "use strict";

  const started = performance.now();
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const root = document.getElementById("report");
  const SVG = "http://www.w3.org/2000/svg";
  const DAY_MS = 86400000;
  const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const count = new Intl.NumberFormat("en-US");
  const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "text") el.textContent = value;
      else if (key === "class") el.className = value;
      else if (key === "onclick") el.addEventListener("click", value);
      else el.setAttribute(key, value);
    }
    for (const child of children) if (child != null) el.append(child);
    return el;
  }

  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, value);
    for (const child of children) if (child != null) el.append(child);
    return el;
  }

  const minutes = (ms) => ms / 60000;
  const fmtMinutes = (ms) => count.format(Math.round(minutes(ms))) + " min";
  const fmtPlays = (n) => count.format(n) + (n === 1 ? " play" : " plays");
  const fmtHours = (ms) => decimal.format(ms / 3600000);
  const fmtDuration = (mins) => (mins >= 2880 ? decimal.format(mins / 1440) + " days"
    : mins >= 60 ? decimal.format(mins / 60) + " h" : count.format(mins) + " min");
  const plural = (n, word) => count.format(n) + " " + word + (n === 1 ? "" : "s");
  const dayNumber = (iso) => Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / DAY_MS;
  const isoDay = (n) => new Date(n * DAY_MS).toISOString().slice(0, 10);
  const monthLabel = (iso) => MONTHS[+iso.slice(5, 7) - 1] + " " + iso.slice(0, 4);

  // Charts are drawn once the page is laid out, at the width they get (1 SVG unit = 1 px).
  const pending = [];
  const widthOf = (el) => Math.max(280, Math.round(el.clientWidth || 960));

  // Buttons that pick one option; `draw` fills `body` with the chosen value once laid out, then on
  // each click.
  function toggle(body, options, chosen, draw) {
    const box = h("div", { class: "toggle", role: "group" });
    const buttons = options.map(([value, label]) => {
      const button = h("button", { type: "button", text: label, "aria-pressed": String(value === chosen) });
      button.addEventListener("click", () => {
        for (const other of buttons) other.setAttribute("aria-pressed", String(other === button));
        draw(value);
      });
      box.append(button);
      return button;
    });
    pending.push([body, () => draw(chosen)]);
    return box;
  }

  function panel(title, note, ...controls) {
    const body = h("div");
    const el = h("section", { class: "panel" },
      h("div", { class: "panel-head" }, h("h2", { text: title }), h("div", { class: "toggles" }, ...controls)),
      body,
      note ? h("p", { class: "panel-note", text: note }) : null);
    return { el, body };
  }

  // The top of a y axis with 4 steps of 1, 2, 2.5 or 5 × 10^k (whole steps for counts).
  function axisMax(value, whole) {
    const rough = Math.max(value / 4, whole ? 1 : 1e-9);
    const power = Math.pow(10, Math.floor(Math.log10(rough)));
    const factors = whole && power === 1 ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
    return 4 * factors.find((f) => f * power >= rough) * power;
  }

  // A bar chart over consecutive slots; `bars[i]` is {value, title} or null (nothing there).
  // `ticks` are [slot, label] pairs for the x axis; `bands` are [fromSlot, toSlot, title].
  function barChart(width, bars, ticks, unit, bands, whole) {
    const height = 230, left = 46, bottom = 24, top = 8;
    const plotW = width - left - 6, plotH = height - top - bottom;
    const max = axisMax(Math.max(0, ...bars.map((b) => (b ? b.value : 0))), whole);
    const slot = plotW / Math.max(1, bars.length);
    const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "bars", "aria-label": unit });
    const grid = s("g", { class: "grid" });
    for (let i = 0; i <= 4; i++) {
      const y = top + plotH - (plotH * i) / 4;
      grid.append(s("line", { x1: left, x2: width, y1: y, y2: y }));
      const label = s("text", { x: left - 8, y: y + 4, "text-anchor": "end" });
      label.textContent = decimal.format((max * i) / 4);
      grid.append(label);
    }
    svg.append(grid);
    for (const [from, to, title] of bands || []) {
      svg.append(s("rect", { class: "gap-band", x: left + from * slot, y: top,
        width: Math.max(2, (to - from + 1) * slot), height: plotH }, s("title", {}, title)));
    }
    const barW = Math.min(48, Math.max(0.8, slot > 4 ? slot - Math.min(2, slot * 0.2) : slot));
    bars.forEach((bar, i) => {
      if (!bar || bar.value <= 0) return;
      const barH = Math.max(1, (plotH * bar.value) / max);
      svg.append(s("rect", { class: "bar", x: left + i * slot + (slot - barW) / 2, y: top + plotH - barH,
        width: barW, height: barH, rx: Math.min(3, barW / 4) },
      s("title", {}, bar.title)));
    });
    const axis = s("g", { class: "axis" });
    axis.append(s("line", { x1: left, x2: width, y1: top + plotH, y2: top + plotH }));
    let lastX = -Infinity;
    for (const [at, text] of ticks) {
      const x = left + at * slot + slot / 2;
      if (x - lastX < 70) continue;
      lastX = x;
      const label = s("text", { x, y: height - 6, "text-anchor": "middle" });
      label.textContent = text;
      axis.append(label);
    }
    svg.append(axis);
    return svg;
  }

  function empty(text) {
    return h("p", { class: "empty", text: text || "No plays in this period." });
  }

  function header() {
    const t = data.totals;
    let span = t.first_play ? `${t.first_play.slice(0, 10)} to ${t.last_play.slice(0, 10)}` : "no plays";
    if (data.since || data.until) {
      span = `${(data.since || "start").slice(0, 10)} – ${data.until ? "before " + data.until.slice(0, 10) : "now"}` +
        ` · plays from ${span}`;
    }
    const impossible = data.impossible_times;
    return h("header", {},
      h("div", {}, h("h1", {}, "Listening report", h("span", { class: "dot", text: "." })),
        h("p", { class: "subtitle", text: `${span} · times in ${data.timezone}` }),
        impossible ? h("p", { class: "notice", text: `Left out: plays dated before ${impossible.before}, when ` +
          `Spotify did not exist yet, or after ${impossible.after}, in the future (a wrong clock or a damaged ` +
          "export). The database keeps them." }) : null));
  }

  // A panel that cannot be drawn says so and the others still show (whatever the data holds).
  function failed(title, error) {
    return h("section", { class: "panel" }, h("h2", { text: title }),
      h("p", { class: "empty", text: `This panel could not be drawn: ${error}.` }));
  }

  function guarded(title, build) {
    try {
      return build();
    } catch (error) {
      return failed(title, error);
    }
  }

  // Plays per source: live feed only, Spotify data export only, or both (the same play).
  const sourcePlays = (source) => (data.sources[source] || { plays: 0 }).plays;
  const fromExport = () => sourcePlays("streaming_history") + sourcePlays("both") > 0;
  const sourcesHint = () => `${count.format(sourcePlays("streaming_history"))} from the export alone, ` +
    `${count.format(sourcePlays("both"))} in both, ${count.format(sourcePlays("recently_played"))} live only`;
  // Exported plays say how long they lasted; live plays only that they passed 30 s.
  const minutesNote = () => (fromExport()
    ? "Minutes are exact for plays in your Spotify data export and estimates (the track's full length) for plays only the live feed saw."
    : "Minutes are estimates: Spotify lists plays longer than 30 s and each counts its track's full length.");
  const isOpen = (gap) => gap.status !== "covered";

  function cards() {
    const t = data.totals;
    const longest = data.streaks.longest[0];
    const card = (value, label, hint) => h("div", { class: "card" },
      h("div", { class: "value", text: value }), h("div", { class: "label", text: label }),
      hint ? h("div", { class: "hint", text: hint }) : null);
    return h("section", { class: "cards", id: "totals" },
      card(count.format(t.plays), "plays", fromExport() ? sourcesHint() : null),
      card(fmtHours(t.ms_played), "hours listened", "≈ " + count.format(Math.round(minutes(t.ms_played))) + " minutes"),
      card(count.format(t.tracks), "tracks"),
      card(count.format(t.artists), "artists"),
      card(count.format(t.albums), "albums"),
      card(count.format(t.days), "days with music"),
      card(longest ? count.format(longest.days) : "–", longest && longest.days === 1 ? "day in the longest streak" : "days in the longest streak",
        longest ? `${longest.first_day} → ${longest.last_day}` : null));
  }

  // X-axis ticks: the finest unit (day, week, month, quarter, year) whose labels fit.
  const TICK_UNITS = [
    [1, (n, iso) => iso, (iso) => MONTHS[+iso.slice(5, 7) - 1] + " " + +iso.slice(8, 10)],
    [7, (n) => n - ((n + 3) % 7), (iso) => MONTHS[+iso.slice(5, 7) - 1] + " " + +iso.slice(8, 10)],
    [30.4, (n, iso) => iso.slice(0, 7), (iso, i) => (iso.slice(5, 7) === "01" || !i ? monthLabel(iso) : MONTHS[+iso.slice(5, 7) - 1])],
    [91.3, (n, iso) => iso.slice(0, 4) + Math.floor((+iso.slice(5, 7) - 1) / 3), (iso, i) => (iso.slice(5, 7) === "01" || !i ? monthLabel(iso) : MONTHS[+iso.slice(5, 7) - 1])],
    [365.25, (n, iso) => iso.slice(0, 4), (iso) => iso.slice(0, 4)],
  ];

  function timeTicks(first, n, stepDays, width) {
    const pxPerDay = (width - 52) / (n * stepDays);
    const [, key, label] = TICK_UNITS.find(([days]) => days >= stepDays && days * pxPerDay >= 70) || TICK_UNITS[4];
    const ticks = [];
    let previous = null;
    for (let i = 0; i < n; i++) {
      const day = first + i * stepDays, iso = isoDay(day), k = key(day, iso);
      if (k !== previous) ticks.push([i, label(iso, ticks.length)]);
      previous = k;
    }
    return ticks;
  }

  // Slots for each day (or Monday-started week) from the first to the last row, zeros included.
  function timeSlots(rows, stepDays, metric) {
    if (!rows.length) return { bars: [], first: 0 };
    const first = dayNumber(rows[0][0]);
    const bars = new Array((dayNumber(rows[rows.length - 1][0]) - first) / stepDays + 1).fill(null);
    for (const [day, plays, ms] of rows) {
      const value = metric === "plays" ? plays : minutes(ms);
      const label = stepDays === 7 ? "Week of " + day : day;
      bars[(dayNumber(day) - first) / stepDays] = { value, title: `${label}: ${fmtPlays(plays)}, ${fmtMinutes(ms)}` };
    }
    return { bars, first };
  }

  function overTime() {
    const spanDays = data.per_day.length ? dayNumber(data.per_day[data.per_day.length - 1][0]) - dayNumber(data.per_day[0][0]) : 0;
    const state = { step: spanDays > 120 ? "week" : "day", metric: "minutes" };
    const { el, body } = panel("Listening over time",
      minutesNote() + (data.gaps.some(isOpen) ? " Shaded: periods where the tap reported plays may be missing." : ""));
    function draw() {
      const stepDays = state.step === "week" ? 7 : 1;
      const rows = state.step === "week" ? data.per_week : data.per_day;
      const { bars, first } = timeSlots(rows, stepDays, state.metric);
      const width = widthOf(body);
      const ticks = timeTicks(first, bars.length, stepDays, width);
      const bands = data.gaps.filter(isOpen).map((gap) => {
        const from = gap.bookmark ? dayNumber(gap.bookmark) : first;
        const to = gap.oldest_returned_played_at ? dayNumber(gap.oldest_returned_played_at) : from;
        return [Math.floor((from - first) / stepDays), Math.floor((to - first) / stepDays),
          `Possible gap: ${gap.bookmark || "?"} → ${gap.oldest_returned_played_at || "?"}`];
      }).filter(([from, to]) => to >= 0 && from < bars.length);
      body.replaceChildren(bars.length ? barChart(width, bars, ticks, state.metric, bands, state.metric === "plays") : empty());
    }
    el.querySelector(".toggles").append(
      toggle(body, [["day", "Day"], ["week", "Week"]], state.step, (v) => { state.step = v; draw(); }),
      toggle(body, [["minutes", "Minutes"], ["plays", "Plays"]], state.metric, (v) => { state.metric = v; draw(); }));
    return el;
  }

  const TOPS = {
    tracks: { title: "Top tracks", name: "track_name", detail: (r) => `${r.artist_names || "Unknown artist"} · ${r.album_name || "Unknown album"}` },
    artists: { title: "Top artists", name: "artist_name", detail: (r) => plural(r.tracks, "track") },
    albums: { title: "Top albums", name: "album_name", detail: (r) => `${r.artist_names || "Unknown artist"} · ${plural(r.tracks, "track")}` },
  };

  // A ranked list of rows ({plays, ms_played, ...}) by plays or by minutes (`order`), with meters.
  function rankedList(rows, order, name, detail, listClass) {
    const value = (r) => (order === "by_plays" ? r.plays : r.ms_played);
    const max = Math.max(...rows.map(value));
    const list = h("ol", { class: listClass });
    rows.forEach((r, i) => {
      const meter = h("span");
      meter.style.width = (100 * value(r)) / max + "%";
      const [main, sub] = order === "by_plays" ? [fmtPlays(r.plays), fmtMinutes(r.ms_played)] : [fmtMinutes(r.ms_played), fmtPlays(r.plays)];
      list.append(h("li", {},
        h("span", { class: "rank", text: String(i + 1) }),
        h("div", { class: "what" }, h("div", { class: "name", text: name(r) || "Unknown", title: name(r) || "" }),
          h("div", { class: "detail", text: detail(r) })),
        h("div", { class: "amount" }, main, h("small", { text: sub })),
        h("div", { class: "meter" }, meter)));
    });
    return list;
  }

  function topPanel(kind) {
    const spec = TOPS[kind];
    const { el, body } = panel(`${spec.title}`, null);
    function draw(order) {
      const rows = data.top[kind][order];
      body.replaceChildren(rows.length ? rankedList(rows, order, (r) => r[spec.name], spec.detail, "top") : empty());
    }
    el.querySelector(".toggles").append(toggle(body, [["by_plays", "Plays"], ["by_minutes", "Minutes"]], "by_plays", draw));
    return el;
  }

  const shade = (share) => (share ? `rgba(30, 215, 96, ${(0.12 + 0.88 * Math.sqrt(share)).toFixed(3)})` : "#1f232c");
  const hourLabel = (hour) => String(hour).padStart(2, "0") + ":00";

  function heatmap() {
    const { el, body } = panel("When you listen", `Hour of day × weekday, ${data.timezone}; the darker, the less.`);
    function draw(metric) {
      const matrix = data.weekday_hour[metric];
      const max = Math.max(0, ...matrix.flat());
      const left = 40, top = 4, gap = 3;
      const cellW = Math.max(12, Math.floor((widthOf(body) - left) / 24)), cellH = Math.min(cellW, 30);
      const svg = s("svg", { viewBox: `0 0 ${left + 24 * cellW} ${top + 7 * cellH + 22}`, class: "heatmap", role: "img",
        "aria-label": "listening by weekday and hour" });
      matrix.forEach((hours, day) => {
        const label = s("text", { x: left - 8, y: top + day * cellH + cellH / 2 + 4, "text-anchor": "end" });
        label.textContent = WEEKDAYS[day];
        svg.append(label);
        hours.forEach((value, hour) => {
          const ms = data.weekday_hour.ms_played[day][hour], plays = data.weekday_hour.plays[day][hour];
          svg.append(s("rect", { class: "cell", x: left + hour * cellW, y: top + day * cellH, width: cellW - gap,
            height: cellH - gap, rx: 4, fill: shade(max ? value / max : 0) },
          s("title", {}, `${WEEKDAYS[day]} ${hourLabel(hour)}–${String(hour).padStart(2, "0")}:59: ${fmtPlays(plays)}, ${fmtMinutes(ms)}`)));
        });
      });
      for (let hour = 0; hour < 24; hour += cellW >= 40 ? 2 : 3) {
        const label = s("text", { x: left + hour * cellW + (cellW - gap) / 2, y: top + 7 * cellH + 14, "text-anchor": "middle" });
        label.textContent = hourLabel(hour);
        svg.append(label);
      }
      body.replaceChildren(data.totals.plays ? svg : empty());
    }
    el.querySelector(".toggles").append(toggle(body, [["ms_played", "Minutes"], ["plays", "Plays"]], "ms_played", draw));
    return el;
  }

  function streaks() {
    const { el, body } = panel("Streaks", "Consecutive days with at least one play.");
    const { longest, latest } = data.streaks;
    if (!latest) {
      body.append(empty());
      return el;
    }
    const big = (value, label, range) => h("div", {},
      h("div", { class: "value" }, count.format(value), h("small", { text: value === 1 ? "day" : "days" })),
      h("div", { class: "detail", text: `${label} · ${range}` }));
    body.append(h("div", { class: "streak-big" },
      big(longest[0].days, "longest", `${longest[0].first_day} → ${longest[0].last_day}`),
      big(latest.days, "latest", `${latest.first_day} → ${latest.last_day}`)));
    const list = h("ul", { class: "streak-list" });
    for (const run of longest) {
      const meter = h("span");
      meter.style.width = (100 * run.days) / longest[0].days + "%";
      list.append(h("li", {}, h("span", { text: `${run.first_day} → ${run.last_day}` }),
        h("span", { class: "amount", text: plural(run.days, "day") }), h("div", { class: "meter" }, meter)));
    }
    body.append(list);
    return el;
  }

  function newArtists() {
    const { el, body } = panel("New artists per month",
      "An artist is new in the month of their first play ever recorded; the first month of tracking counts everyone.");
    const months = data.new_artists;
    if (!months.length) {
      body.append(empty("No new artists in this period."));
      return el;
    }
    pending.push([body, () => body.append(barChart(widthOf(body), bars, ticks, "new artists", [], true))]);
    const [y0, m0] = months[0].month.split("-").map(Number);
    const index = (month) => { const [y, m] = month.split("-").map(Number); return (y - y0) * 12 + (m - m0); };
    const bars = new Array(index(months[months.length - 1].month) + 1).fill(null);
    const ticks = [];
    for (let i = 0; i < bars.length; i++) {
      const y = y0 + Math.floor((m0 - 1 + i) / 12), m = ((m0 - 1 + i) % 12) + 1;
      ticks.push([i, MONTHS[m - 1] + (m === 1 || i === 0 ? " " + y : "")]);
    }
    for (const month of months) {
      const more = month.count - month.first_names.length;
      bars[index(month.month)] = { value: month.count, title: `${monthLabel(month.month)}: ${plural(month.count, "new artist")}` +
        `\n${month.first_names.join(", ")}${more > 0 ? ` and ${count.format(more)} more` : ""}` };
    }
    return el;
  }

  const GAP_STATUS = {
    covered: (n) => `Covered by the export: ${plural(n, "play")} filled in`,
    "partly covered": (n) => `Partly covered: the export fills in ${plural(n, "play")} but does not span the gap`,
    open: () => "Still open: request your Spotify data export to fill it",
  };

  function gaps() {
    const { el, body } = panel("Listening gaps",
      "Times when more plays happened than Spotify keeps (its last 50): plays between the last stored play " +
      "and the oldest play Spotify still returned may be missing, unless your Spotify data export, once imported, covers them.");
    el.id = "listening-gaps";
    if (!data.gaps.length) {
      body.append(empty("No gaps reported by the tap in this period."));
      return el;
    }
    const table = h("table", {}, h("thead", {}, h("tr", {},
      h("th", { text: "Detected" }), h("th", { text: "Last stored play" }),
      h("th", { text: "Oldest play Spotify returned" }), h("th", { class: "num", text: "Span" }),
      h("th", { text: "Status" }))));
    const rows = h("tbody");
    for (const gap of data.gaps) {
      rows.append(h("tr", {}, h("td", { text: gap.detected_at || "–" }), h("td", { text: gap.bookmark || "–" }),
        h("td", { text: gap.oldest_returned_played_at || "–" }),
        h("td", { class: "num", text: gap.minutes == null ? "–" : fmtDuration(gap.minutes) }),
        h("td", { class: "gap-" + gap.status.replace(" ", "-"), text: GAP_STATUS[gap.status](gap.plays_filled_in) })));
    }
    table.append(rows);
    body.append(table);
    return el;
  }

  // Links to the year-in-review pages written beside this file (absent: none written).
  function yourYears() {
    const years = data.years || [];
    if (!years.length) return document.createDocumentFragment();
    return h("section", { class: "panel", id: "years" },
      h("h2", { text: "Your years" }),
      h("ul", { class: "years" }, ...years.map((year) => h("li", {},
        h("a", { href: year.file, text: year.so_far ? `${year.year} so far` : String(year.year) }),
        h("span", { class: "hint", text: ` ${fmtMinutes(year.ms_played)} · ${fmtPlays(year.plays)}` })))));
  }

  // Genres (MusicBrainz, via the tap's artist_genres): top lists, plays without one, per month.
  const GENRES_OFF = "Genres are off: set musicbrainz_contact for tap-spotify-recent (in the scheduled sync, " +
    "the repository variable MUSICBRAINZ_CONTACT) to your e-mail address, and it looks your artists' genres up on MusicBrainz.";
  const GENRE_RULE = "A play counts once for each genre of its artists together (a track by two dream pop artists " +
    "counts once for dream pop), with its full minutes: genres add up to more than your plays.";
  const genreLabel = (genre) => (genre === null ? "Other genres" : genre);
  const noGenres = "No genres in this period yet.";

  function topGenres() {
    const genres = data.genres;
    const without = Object.entries(genres.without).map(([label, row]) => `${label}: ${fmtPlays(row.plays)}`).join(" · ");
    const { el, body } = panel("Top genres", GENRE_RULE + (without ? ` Without a genre: ${without}.` : ""));
    const share = (r) => `in ${Math.round((100 * r.plays) / data.totals.plays)} % of your plays`;
    function draw(order) {
      const rows = genres.top[order];
      body.replaceChildren(rows.length ? rankedList(rows, order, (r) => r.genre, share, "top genre-top") : empty(noGenres));
    }
    el.querySelector(".toggles").append(toggle(body, [["by_plays", "Plays"], ["by_minutes", "Minutes"]], "by_plays", draw));
    return el;
  }

  // One row per genre shown (the top by minutes), then the rest; one column per local month.
  // A cell's shade is the genre's share of the month's plays or minutes.
  function genresOverTime() {
    const { months, rows } = data.genres.per_month;
    const { el, body } = panel("Genres over time",
      `Per month (${data.timezone}): the share of the month's listening that counted for each genre; ` +
      "Other genres: plays whose genres are none of those above.");
    if (!months.length) {
      body.append(empty(noGenres));
      return el;
    }
    const monthTotals = {};
    for (const [day, plays, ms] of data.per_day) {
      const month = monthTotals[day.slice(0, 7)] || (monthTotals[day.slice(0, 7)] = { plays: 0, ms_played: 0 });
      month.plays += plays;
      month.ms_played += ms;
    }
    const [y0, m0] = months[0].split("-").map(Number);
    const index = (month) => { const [y, m] = month.split("-").map(Number); return (y - y0) * 12 + (m - m0); };
    const slots = index(months[months.length - 1]) + 1;
    function draw(metric) {
      const width = widthOf(body);
      const left = 150, top = 4, rowH = 22, gap = 2;
      const cellW = (width - left) / slots;
      const svg = s("svg", { viewBox: `0 0 ${width} ${top + rows.length * rowH + 22}`, role: "img", class: "genre-grid",
        "aria-label": "genres per month" });
      rows.forEach((row, r) => {
        const label = s("text", { x: left - 8, y: top + r * rowH + rowH / 2 + 4, "text-anchor": "end",
          ...(row.genre === null || row.genre.startsWith("(") ? { class: "genre-other" } : {}) });
        label.textContent = genreLabel(row.genre).length > 22 ? genreLabel(row.genre).slice(0, 21) + "…" : genreLabel(row.genre);
        svg.append(label);
        months.forEach((month, i) => {
          const plays = row.plays[i], ms = row.ms_played[i];
          if (!plays) return;
          const total = (monthTotals[month] || {})[metric] || (metric === "plays" ? plays : ms);
          const share = Math.min(1, (metric === "plays" ? plays : ms) / total);
          svg.append(s("rect", { class: "genre-cell", x: left + index(month) * cellW, y: top + r * rowH,
            width: Math.max(1, cellW - (cellW > 6 ? gap : 0)), height: rowH - gap, rx: 3, fill: shade(share) },
          s("title", {}, `${monthLabel(month)} · ${genreLabel(row.genre)}: ${fmtPlays(plays)}, ${fmtMinutes(ms)} ` +
            `(${Math.round(100 * share)} % of the month's ${metric === "plays" ? "plays" : "minutes"})`)));
        });
      });
      let lastX = -Infinity;
      for (let i = 0; i < slots; i++) {
        const y = y0 + Math.floor((m0 - 1 + i) / 12), m = ((m0 - 1 + i) % 12) + 1;
        const x = left + i * cellW + cellW / 2;
        if (x - lastX < 60) continue;
        lastX = x;
        const label = s("text", { x, y: top + rows.length * rowH + 14, "text-anchor": "middle" });
        label.textContent = MONTHS[m - 1] + (m === 1 || i === 0 ? " " + y : "");
        svg.append(label);
      }
      body.replaceChildren(svg);
    }
    el.querySelector(".toggles").append(toggle(body, [["ms_played", "Minutes"], ["plays", "Plays"]], "ms_played", draw));
    return el;
  }

  function genrePanels() {
    if (!data.genres) {
      return h("section", { class: "panel genres-off" }, h("h2", { text: "Genres" }), h("p", { class: "panel-note", text: GENRES_OFF }));
    }
    return h("div", { class: "genre-row" }, guarded("Top genres", topGenres), guarded("Genres over time", genresOverTime));
  }

  // Sync health: the runs the tap recorded (sync_runs) against how fast you can play 50 tracks.
  const fmtSeconds = (seconds) => {
    const mins = Math.floor(seconds / 60);
    if (seconds < 60) return count.format(Math.round(seconds)) + " s";
    if (mins < 60) return mins + " min";
    if (mins >= 2880) return decimal.format(mins / 1440) + " days";
    return Math.floor(mins / 60) + " h" + (mins % 60 ? " " + (mins % 60) + " min" : "");
  };
  const span = (from, to) => (from && to && from.slice(0, 10) === to.slice(0, 10) ? `${from} → ${to.slice(11)}` : `${from} → ${to}`);

  function tokenCard(runs) {
    const left = runs.token_days_left;
    if (left == null) return ["–", "refresh token", "its expiry is not known yet", ""];
    const when = `expires ${runs.token_expires_on}: authorize again before (tap-spotify-recent auth)`;
    if (left < 0) return [`expired`, "refresh token", `${plural(-left, "day")} ago (${runs.token_expires_on}): authorize again`, "bad"];
    if (left === 0) return ["today", "refresh token expires", when, "bad"];
    return [plural(left, "day"), "until the refresh token expires", when, left <= 30 ? "warn" : ""];
  }

  function healthVerdict(runs, busiest) {
    if (!busiest) return ["Fewer than 50 plays so far: the longest safe interval between runs is not known yet.", ""];
    const safe = `Your busiest 50 plays lasted ${fmtSeconds(busiest.seconds)} (${span(busiest.first_play, busiest.last_play)})`;
    const pause = runs.longest_pause;
    if (!pause) return [`${safe}: runs at most that far apart lose no play.`, ""];
    if (pause.seconds >= busiest.seconds) {
      return [`${safe}; the longest pause between runs was ${fmtSeconds(pause.seconds)}, ${span(pause.after, pause.before)}: ` +
        `on a day like your busiest, plays may have been lost (${plural(runs.pauses_longer_than_safe, "pause")} that long). ` +
        "Run the sync more often, or start it from an external trigger.", "health-warn"];
    }
    return [`${safe}; all pauses between runs were shorter (the longest: ${fmtSeconds(pause.seconds)}, ` +
      `${span(pause.after, pause.before)}): no play was lost to a late run.`, "health-ok"];
  }

  function syncHealth() {
    const { runs, busiest } = data.health;
    const { el, body } = panel("Sync health", runs
      ? `Runs of the scheduled sync the tap recorded (sync_runs), times in ${data.timezone}. Spotify keeps only your last 50 plays: ` +
        "runs further apart than your busiest 50 plays lasted can lose plays."
      : null);
    el.id = "sync-health";
    if (!runs) {
      body.append(h("p", { class: "health-none", text: "No run of the sync is recorded in this database: tap-spotify-recent " +
        "records each run in sync_runs when that stream is selected." +
        (busiest ? ` Your busiest 50 plays lasted ${fmtSeconds(busiest.seconds)}: runs further apart can lose plays.` : "") }));
      return el;
    }
    const stat = (value, label, hint, cls) => h("div", { class: "health-stat" + (cls ? " " + cls : "") },
      h("div", { class: "value", text: value }), h("div", { class: "label", text: label }),
      hint ? h("div", { class: "hint" }, ...[].concat(hint)) : null);
    const open = data.gaps.filter(isOpen).length, covered = data.gaps.length - open;
    const gapsHint = data.gaps.length
      ? [`${count.format(covered)} covered by your export, ${count.format(open)} not · `, h("a", { href: "#listening-gaps", text: "see Listening gaps" })]
      : runs.gaps ? "none listed in this report's period" : "no run missed plays";
    const [tokenValue, tokenLabel, tokenHint, tokenClass] = tokenCard(runs);
    const [verdict, verdictClass] = healthVerdict(runs, busiest);
    body.append(
      h("div", { class: "health-stats" },
        stat(runs.last_successful_run || "–", "last successful run", runs.last_run_found_gap ? "it found a gap" : "it found no gap",
          runs.last_run_found_gap ? "warn" : ""),
        stat(count.format(runs.count), runs.count === 1 ? "run recorded" : "runs recorded", `${decimal.format(runs.runs_per_day)} a day since ${runs.first_run}`),
        stat(runs.longest_pause ? fmtSeconds(runs.longest_pause.seconds) : "–", "longest pause between runs",
          runs.longest_pause ? span(runs.longest_pause.after, runs.longest_pause.before) : "a single run so far"),
        stat(busiest ? fmtSeconds(busiest.seconds) : "–", "longest safe interval", busiest ? "your busiest 50 plays" : "fewer than 50 plays"),
        stat(count.format(runs.gaps), runs.gaps === 1 ? "run found a gap" : "runs found a gap", gapsHint, runs.gaps ? "warn" : ""),
        stat(tokenValue, tokenLabel, tokenHint, tokenClass)),
      h("p", { class: "health-verdict " + verdictClass, text: verdict }));
    const chart = h("div", { class: "health-chart" });
    body.append(h("h3", { text: `Runs per day, last ${runs.per_day.length} days` }), chart);
    pending.push([chart, () => {
      const bars = runs.per_day.map(([day, n, gaps]) => ({ value: n,
        title: `${day}: ${plural(n, "run")}` + (gaps ? `, ${gaps} found a gap` : "") }));
      const bands = runs.per_day.map(([day, , gaps], i) => (gaps ? [i, i, `${day}: a run found a gap`] : null)).filter(Boolean);
      const width = widthOf(chart);
      chart.append(barChart(width, bars, timeTicks(dayNumber(runs.per_day[0][0]), bars.length, 1, width), "runs", bands, true));
    }]);
    return el;
  }

  function footer() {
    return h("footer", {},
      h("p", { text: (fromExport()
        ? "A play lasted 30 s or more. Podcast episodes and audiobooks are left out, except those in Account data's older " +
          "combined StreamingHistoryN.json (no music/podcast split), which lists them like songs: from it they count as music. " +
          "A play both the live feed and the export hold counts once, with the export's exact length. "
        : "Minutes listened are estimates: Spotify's recently-played feed lists a play once it lasted more than 30 s " +
          "and gives no play length, so each play counts its track's full duration. ") +
        "Every credited artist of a track gets the play." }),
      h("p", { text: `Days, weeks (from Monday) and hours are in ${data.timezone}; a play counts at the time Spotify reports, about when it ended.` }),
      h("p", { text: `Generated ${data.generated_at} by listening-report.` }));
  }

  root.replaceChildren(
    guarded("Listening report", header),
    guarded("Totals", cards),
    guarded("Your years", yourYears),
    guarded("Listening over time", overTime),
    h("div", { class: "row3" }, ...Object.entries(TOPS).map(([kind, spec]) => guarded(spec.title, () => topPanel(kind)))),
    guarded("Genres", genrePanels),
    guarded("When you listen", heatmap),
    h("div", { class: "row2" }, guarded("Streaks", streaks), guarded("New artists per month", newArtists)),
    guarded("Listening gaps", gaps),
    guarded("Sync health", syncHealth),
    guarded("About these figures", footer));
  for (const [panelBody, draw] of pending) {
    try {
      draw();
    } catch (error) {
      panelBody.replaceChildren(h("p", { class: "empty", text: `This chart could not be drawn: ${error}.` }));
    }
  }
  document.documentElement.dataset.renderMs = String(Math.round(performance.now() - started));
  document.documentElement.dataset.rendered = "done";
})();
