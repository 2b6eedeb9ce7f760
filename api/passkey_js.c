/* The passkey script: the forms with ids passkey-add (account page) and
 * passkey-login (login page) ask the server for their ceremony's options,
 * run navigator.credentials.create / get, put the result (base64url) in
 * their hidden fields and post.  Without WebAuthn the forms are hidden. */
#include "api/passkey.h"
#include "crypto/error.h"

static const char passkey_js[] =
	"(function () {\n"
	"  'use strict';\n"
	"  function enc(buf) {\n"
	"    var a = new Uint8Array(buf), s = '';\n"
	"    for (var i = 0; i < a.length; i++) s += String.fromCharCode(a[i]);\n"
	"    return btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_')\n"
	"      .replace(/=+$/, '');\n"
	"  }\n"
	"  function dec(s) {\n"
	"    s = s.replace(/-/g, '+').replace(/_/g, '/');\n"
	"    while (s.length % 4) s += '=';\n"
	"    var b = atob(s), a = new Uint8Array(b.length);\n"
	"    for (var i = 0; i < b.length; i++) a[i] = b.charCodeAt(i);\n"
	"    return a.buffer;\n"
	"  }\n"
	"  function setup(id, url, run) {\n"
	"    var f = document.getElementById(id);\n"
	"    if (!f) return;\n"
	"    if (!window.PublicKeyCredential || !navigator.credentials) {\n"
	"      f.hidden = true;\n"
	"      return;\n"
	"    }\n"
	"    f.addEventListener('submit', function (ev) {\n"
	"      ev.preventDefault();\n"
	"      var body = new URLSearchParams();\n"
	"      ['i', 'csrf'].forEach(function (n) {\n"
	"        if (f.elements[n]) body.append(n, f.elements[n].value);\n"
	"      });\n"
	"      fetch(url, { method: 'POST', credentials: 'same-origin',\n"
	"                   body: body })\n"
	"        .then(function (r) {\n"
	"          if (!r.ok) throw new Error('options: HTTP ' + r.status);\n"
	"          return r.json();\n"
	"        })\n"
	"        .then(run)\n"
	"        .then(function (fields) {\n"
	"          Object.keys(fields).forEach(function (k) {\n"
	"            f.elements[k].value = fields[k];\n"
	"          });\n"
	"          f.submit();\n"
	"        })\n"
	"        .catch(function (e) {\n"
	"          var p = f.querySelector('.passkey-error');\n"
	"          if (p) p.hidden = false;\n"
	"          if (window.console) console.error(e);\n"
	"        });\n"
	"    });\n"
	"  }\n"
	"  setup('passkey-add', '" EID_PATH_ACCOUNT_PASSKEY_OPTIONS "',\n"
	"        function (o) {\n"
	"    o.challenge = dec(o.challenge);\n"
	"    o.user.id = dec(o.user.id);\n"
	"    o.excludeCredentials.forEach(function (c) { c.id = dec(c.id); });\n"
	"    return navigator.credentials.create({ publicKey: o })\n"
	"      .then(function (c) {\n"
	"        var r = c.response;\n"
	"        return {\n"
	"          clientDataJSON: enc(r.clientDataJSON),\n"
	"          attestationObject: enc(r.attestationObject),\n"
	"          transports: r.getTransports ? r.getTransports().join(',') : ''\n"
	"        };\n"
	"      });\n"
	"  });\n"
	"  setup('passkey-login', '" EID_PATH_LOGIN_PASSKEY_OPTIONS "',\n"
	"        function (o) {\n"
	"    o.challenge = dec(o.challenge);\n"
	"    return navigator.credentials.get({ publicKey: o })\n"
	"      .then(function (c) {\n"
	"        var r = c.response;\n"
	"        return {\n"
	"          id: enc(c.rawId),\n"
	"          clientDataJSON: enc(r.clientDataJSON),\n"
	"          authenticatorData: enc(r.authenticatorData),\n"
	"          signature: enc(r.signature),\n"
	"          userHandle: r.userHandle ? enc(r.userHandle) : ''\n"
	"        };\n"
	"      });\n"
	"  });\n"
	"})();\n";

int eid_api_passkey_js(struct eid_http_request *req,
		       struct eid_http_response *res, void *arg)
{
	int r;

	(void)req;
	(void)arg;
	r = eid_http_reply_bytes(res, 200, "text/javascript; charset=utf-8",
				 passkey_js, sizeof(passkey_js) - 1);
	if (r == EID_OK)
		r = eid_http_set_header(res, "Cache-Control",
					"public, max-age=3600");
	return r;
}
