// The only way the dashboard reaches the service: JSON over /api, with the bearer token when
// the service asks for one (prompted once, kept in this browser's localStorage).
const TOKEN_KEY = "tunedrive.token";
let tokenPrompt = null;

export class ApiError extends Error {
  constructor(status, body) {
    super(typeof body === "object" && body ? body.detail : String(body));
    this.status = status;
    this.errors = (body && body.errors) || [];
  }
}

function headers(extra = {}) {
  const token = localStorage.getItem(TOKEN_KEY);
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

export async function request(path, { method = "GET", body, contentType, raw = false } = {}) {
  const response = await fetch(path, {
    method,
    body,
    headers: headers(contentType ? { "Content-Type": contentType } : {}),
  });
  if (response.status === 401) {
    await askForToken(localStorage.getItem(TOKEN_KEY) ? "That token was refused." : "");
    return request(path, { method, body, contentType, raw });
  }
  if (raw && response.ok) return response;
  const isJson = (response.headers.get("content-type") || "").includes("json");
  const data = isJson ? await response.json() : await response.text();
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path, params = {}) => {
  const query = new URLSearchParams(
    Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "")
  ).toString();
  return request(query ? `${path}?${query}` : path);
};

function askForToken(message) {
  if (tokenPrompt) return tokenPrompt;
  const dialog = document.getElementById("token-dialog");
  document.getElementById("token-error").textContent = message;
  tokenPrompt = new Promise((resolve) => {
    dialog.querySelector("form").onsubmit = () => {
      localStorage.setItem(TOKEN_KEY, document.getElementById("token-input").value.trim());
      tokenPrompt = null;
      resolve();
    };
  });
  dialog.showModal();
  return tokenPrompt;
}

// Downloads go through fetch so that they carry the token too.
export async function download(path, name) {
  const response = await request(path, { raw: true });
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
