// cadrebot playground: the page acts as the chosen user through small form
// posts, and follows every chat through one server-sent event stream.
// Vanilla JS, no build step.
"use strict";
(() => {
  const $ = (s, el = document) => el.querySelector(s);
  const $$ = (s, el = document) => [...el.querySelectorAll(s)];
  const body = document.body;

  // --- the fake clock: the server sends its time on every jump; between
  // jumps it runs at real speed, so the page extrapolates.
  let clockBase = Number(body.dataset.now), clockAt = Date.now();
  const clockFmt = new Intl.DateTimeFormat("zh-CN", {
    timeZone: body.dataset.zone, year: "numeric", month: "2-digit", day: "2-digit",
    weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  const tick = () => { $("#clock").textContent = clockFmt.format(new Date(clockBase + Date.now() - clockAt)); };
  setInterval(tick, 1000);
  tick();

  // --- who the visitor is.
  const picker = $("#user");
  const saved = localStorage.getItem("cadrebot.user");
  if (saved && $$("option", picker).some((o) => o.value === saved)) picker.value = saved;
  const me = () => picker.value;
  const myID = () => picker.selectedOptions[0].dataset.id;
  function applyUser() {
    localStorage.setItem("cadrebot.user", me());
    $$("#col-private .pane").forEach((p) => {
      p.classList.toggle("active", p.dataset.owner === me());
      const box = $(".msgs", p);
      if (p.dataset.owner === me()) box.scrollTop = box.scrollHeight;
    });
    $("#private-title").textContent = picker.selectedOptions[0].textContent.split(" — ")[0] + " 与 cadrebot 的私聊";
    $$(".msg").forEach(markMine);
  }
  function markMine(m) {
    const from = m.dataset.from;
    m.classList.toggle("mine", !!from && from === myID());
  }
  picker.addEventListener("change", applyUser);

  // --- tabs: one visible chat per column.
  $$(".col").forEach((col) => {
    const first = $(".pane", col);
    if (first && !col.id.endsWith("private")) first.classList.add("active");
  });
  function showTab(tab) {
    const col = tab.closest(".col");
    $$(".tab", col).forEach((t) => t.classList.toggle("active", t === tab));
    $$(".pane", col).forEach((p) => p.classList.toggle("active", p.dataset.chat === tab.dataset.tab));
    tab.classList.remove("unread");
    const box = $("#msgs" + tab.dataset.tab);
    if (box) box.scrollTop = box.scrollHeight;
  }

  // --- composers: the bot's "/" menu as chips under every input.
  const extra = $("#composer-extra");
  $$(".composer").forEach((f) => f.appendChild(extra.content.cloneNode(true)));

  // --- talking to the server.
  async function post(path, params) {
    const r = await fetch(path, { method: "POST", body: new URLSearchParams({ user: me(), ...params }) });
    if (!r.ok) toast((await r.text()) || r.statusText, true);
    return r.ok;
  }
  const paneOf = (el) => el.closest(".pane");
  const chatOf = (el) => paneOf(el).dataset.chat;

  function setReply(pane, msg) {
    const box = $(".replying", pane);
    if (!msg) { delete pane.dataset.reply; box.hidden = true; return; }
    pane.dataset.reply = msg.dataset.id;
    $("span", box).textContent = ($(".from", msg)?.textContent || "") + "：" + ($(".text", msg)?.textContent || "").slice(0, 30);
    box.hidden = false;
    $("input[name=text]", pane).focus();
  }

  document.addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = e.target, pane = paneOf(form), input = $("input[name=text]", form);
    const text = input.value.trim();
    if (!text) return;
    if (await post("/act/send", { chat: pane.dataset.chat, text, reply: pane.dataset.reply || "" })) {
      input.value = "";
      setReply(pane, null);
    }
  });

  document.addEventListener("change", async (e) => {
    const sel = e.target;
    if (!sel.matches("select.photo") || !sel.value) return;
    const pane = paneOf(sel), input = $("input[name=text]", pane);
    if (await post("/act/photo", { chat: pane.dataset.chat, sample: sel.value, caption: input.value.trim() })) input.value = "";
    sel.value = "";
  });

  document.addEventListener("click", (e) => {
    const t = e.target.closest("button, a");
    if (!t) return;
    if (t.matches(".tab[data-tab]")) return showTab(t);
    if (t.matches("[data-clock]")) return post("/act/clock", { to: t.dataset.clock });
    if (t.matches(".ib[data-press]")) {
      return post("/act/press", { chat: chatOf(t), msg: t.closest(".msg").dataset.id, data: t.dataset.press });
    }
    if (t.matches(".rb")) {
      if (t.dataset.location) return post("/act/location", { chat: chatOf(t), place: "village" });
      return post("/act/send", { chat: chatOf(t), text: t.dataset.text });
    }
    if (t.matches(".loc")) return post("/act/location", { chat: chatOf(t), place: t.dataset.place });
    if (t.matches(".reply-btn")) return setReply(paneOf(t), t.closest(".msg"));
    if (t.matches(".cancel-reply")) return setReply(paneOf(t), null);
    if (t.matches(".cmd")) {
      const input = $("input[name=text]", paneOf(t));
      input.value = t.dataset.cmd + " ";
      input.focus();
    }
  });

  // --- rendering what the server sends.
  const pinned = new Map(); // chat id -> was scrolled to the bottom
  $$(".msgs").forEach((box) => {
    box.addEventListener("scroll", () => pinned.set(box.id, box.scrollHeight - box.scrollTop - box.clientHeight < 40), { passive: true });
  });
  // Photos grow a chat after it was scrolled: keep pinned chats at the end.
  document.addEventListener("load", (e) => {
    const box = e.target.closest && e.target.closest(".msgs");
    if (box && pinned.get(box.id) !== false) box.scrollTop = box.scrollHeight;
  }, true);

  function decorate(box) {
    $$(".day-sep", box).forEach((s) => s.remove());
    let day = "";
    $$(".msg", box).forEach((m) => {
      markMine(m);
      if (m.dataset.day !== day) {
        day = m.dataset.day;
        const sep = document.createElement("div");
        sep.className = "day-sep";
        sep.innerHTML = "<span></span>";
        sep.firstChild.textContent = m.dataset.daytext;
        m.before(sep);
      }
    });
  }

  function upsert(chat, id, html) {
    const box = $("#msgs" + chat);
    if (!box) return;
    const tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    const el = tpl.content.firstElementChild;
    const old = $("#m" + chat + "_" + id);
    const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    if (old) {
      old.replaceWith(el);
    } else {
      box.appendChild(el);
      const pane = paneOf(box), tab = $('.tab[data-tab="' + chat + '"]');
      if (tab && !pane.classList.contains("active")) tab.classList.add("unread");
    }
    el.classList.add("flash");
    decorate(box);
    if (atEnd || !old) box.scrollTop = box.scrollHeight;
  }

  async function resync() {
    await Promise.all($$(".pane").map(async (pane) => {
      const r = await fetch("/chat/" + pane.dataset.chat);
      if (!r.ok) return;
      const box = $(".msgs", pane);
      box.innerHTML = await r.text();
      decorate(box);
      box.scrollTop = box.scrollHeight;
    }));
    body.dataset.synced = String(Date.now());
  }

  function toast(text, alert) {
    const t = document.createElement("div");
    t.className = "toast" + (alert ? " alert" : "");
    t.textContent = text;
    $("#toasts").appendChild(t);
    setTimeout(() => t.remove(), alert ? 6000 : 3500);
  }

  const typingTimers = new Map();
  function typing(chat) {
    const pane = $("#pane" + chat);
    if (!pane) return;
    const el = $(".typing", pane);
    el.hidden = false;
    clearTimeout(typingTimers.get(chat));
    typingTimers.set(chat, setTimeout(() => { el.hidden = true; }, 2500));
  }

  function handle(e) {
    switch (e.kind) {
      case "clock": clockBase = e.now; clockAt = Date.now(); tick(); break;
      case "resync": resync(); break;
      case "msg": upsert(e.chat, e.id, e.html); $(".typing", $("#pane" + e.chat) || body)?.setAttribute("hidden", ""); break;
      case "delete": $("#m" + e.chat + "_" + e.id)?.remove(); break;
      case "toast": toast(e.text, e.alert); break;
      case "action": typing(e.chat); break;
    }
  }

  // EventSource reconnects by itself; every (re)connect starts with a
  // resync, so nothing missed while offline stays missing.
  const es = new EventSource("/events");
  es.onmessage = (ev) => handle(JSON.parse(ev.data));
  const live = $("#live");
  es.onopen = () => { body.classList.remove("offline"); live.classList.add("on"); live.title = "实时连接正常"; };
  es.onerror = () => { body.classList.add("offline"); live.classList.remove("on"); live.title = "连接中断，正在重连…"; };

  applyUser();
  $$(".msgs").forEach((box) => { decorate(box); box.scrollTop = box.scrollHeight; });
})();
