"use strict";
// Every text shown comes from textContent or an input's value, never
// markup; the token goes as a bearer header only (no cookies).
const field = (id) => document.getElementById(id);
const TOKEN_KEY = "newsdesk-token";
const result = field("result");
const show = (text, kind) => {
  result.textContent = text;
  result.className = kind;
};
for (const [id, title] of JSON.parse(field("sections").textContent)) {
  const option = document.createElement("option");
  option.value = id;
  option.textContent = title + " (" + id + ")";
  field("section").append(option);
}
const params = new URLSearchParams(location.search);
field("url").value = params.get("url") || "";
field("title").value = params.get("title") || "";
field("token").value = localStorage.getItem(TOKEN_KEY) || "";
const page = location.origin + location.pathname;
field("bookmarklet").href =
  "javascript:(()=>{location.href=" + JSON.stringify(page + "?url=") +
  "+encodeURIComponent(location.href)+'&title='+encodeURIComponent(document.title)})()";
field("forget").addEventListener("click", () => {
  localStorage.removeItem(TOKEN_KEY);
  field("token").value = "";
  show("The token is forgotten on this browser.", "ok");
});
field("submission").addEventListener("submit", async (event) => {
  event.preventDefault();
  const token = field("token").value.trim();
  localStorage.setItem(TOKEN_KEY, token);
  const body = { url: field("url").value.trim() };
  for (const name of ["note", "section", "title"]) {
    const value = field(name).value.trim();
    if (value) body[name] = value;
  }
  field("send").disabled = true;
  show("Sending…", "");
  try {
    const response = await fetch(new URL("api/submissions", page), {
      method: "POST",
      credentials: "omit",
      cache: "no-store",
      headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) {
      show(answer.message || "queued as #" + answer.id, "ok");
    } else {
      show("Not added (HTTP " + response.status + "): " + (answer.error || response.statusText), "error");
    }
  } catch (err) {
    show("The daemon could not be reached: " + err, "error");
  } finally {
    field("send").disabled = false;
  }
});
