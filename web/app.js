/* app.js: enhancements for the admin screen. Every action also works
 * without it, through plain pages and forms; this turns those pages into
 * dialogs, submits the business choice at once, searches as one types and
 * adds select-all. The pages may be XHTML, so the DOM is built with DOM
 * calls only, never with markup strings. */
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  var opener = null;

  function closest(el, selector) {
    while (el && el.nodeType === 1) {
      if (el.matches(selector)) return el;
      el = el.parentNode;
    }
    return null;
  }

  function openDialog(dialog, from) {
    opener = from || document.activeElement;
    if (!dialog.open) dialog.showModal();
    var first = dialog.querySelector('input[type=search], input:not([type=hidden]):not([hidden]), button.primary, button');
    if (first) first.focus();
  }

  /* Focus goes back where it came from when a dialog closes. */
  document.addEventListener('close', function (ev) {
    if (ev.target.tagName && ev.target.tagName.toLowerCase() === 'dialog' && opener) {
      opener.focus();
      opener = null;
    }
  }, true);

  /* Fetches a page and returns its element with the given id. */
  function fetchPanel(url, id) {
    return fetch(url, {
      credentials: 'same-origin',
      headers: { 'Accept': 'application/xhtml+xml, text/html;q=0.9' }
    }).then(function (resp) {
      var type = (resp.headers.get('Content-Type') || '').split(';')[0];
      return resp.text().then(function (text) {
        var doc = new DOMParser().parseFromString(text,
          type === 'application/xhtml+xml' ? 'application/xhtml+xml' : 'text/html');
        var panel = doc.getElementById(id);
        if (!panel) {
          var msg = doc.querySelector('.error-message');
          throw new Error(msg ? msg.textContent : 'The panel could not be loaded (' + resp.status + ').');
        }
        return document.importNode(panel, true);
      });
    });
  }

  function showError(slot, message) {
    while (slot.firstChild) slot.removeChild(slot.firstChild);
    var p = document.createElement('p');
    p.className = 'form-error';
    p.setAttribute('role', 'alert');
    p.textContent = message;
    slot.appendChild(p);
  }

  /* Loads a Pause User / Pause Task Type panel into its dialog slot. */
  function loadPanel(slot, url, keepFocus) {
    slot.setAttribute('aria-busy', 'true');
    return fetchPanel(url, 'pause-panel').then(function (panel) {
      var search = slot.querySelector('#pause-q');
      var caret = search && document.activeElement === search ? search.selectionStart : null;
      while (slot.firstChild) slot.removeChild(slot.firstChild);
      slot.appendChild(panel);
      slot.removeAttribute('aria-busy');
      wirePanel(slot);
      var again = slot.querySelector('#pause-q');
      if (again && (keepFocus || caret !== null)) {
        again.focus();
        if (caret !== null) again.setSelectionRange(caret, caret);
      }
    }).catch(function (e) {
      slot.removeAttribute('aria-busy');
      showError(slot, e.message);
    });
  }

  function panelUrl(form) {
    var params = new URLSearchParams(new FormData(form));
    return form.getAttribute('action') + '?' + params.toString();
  }

  function wirePanel(slot) {
    var search = slot.querySelector('form.panel-search');
    if (search) {
      search.addEventListener('submit', function (ev) {
        ev.preventDefault();
        loadPanel(slot, panelUrl(search), true);
      });
      var input = search.querySelector('#pause-q');
      var timer = null;
      if (input) {
        input.addEventListener('input', function () {
          clearTimeout(timer);
          timer = setTimeout(function () { loadPanel(slot, panelUrl(search), true); }, 250);
        });
      }
    }
    var more = slot.querySelector('a.more');
    if (more) {
      more.addEventListener('click', function (ev) {
        ev.preventDefault();
        loadPanel(slot, more.getAttribute('href'), false);
      });
    }
    var all = slot.querySelector('input.select-all');
    if (all) {
      all.hidden = false;
      all.addEventListener('change', function () {
        var boxes = slot.querySelectorAll('table.pick tbody input[type=checkbox]');
        for (var i = 0; i < boxes.length; i++) boxes[i].checked = all.checked;
      });
    }
    wireExpiry(slot);
  }

  /* The date field matters only when "At the date below" is chosen. */
  function wireExpiry(root) {
    var select = root.querySelector('#pause-expiry');
    var until = root.querySelector('#pause-until');
    if (!select || !until) return;
    var field = closest(until, '.field') || until;
    function sync() { field.hidden = select.value !== 'until'; }
    select.addEventListener('change', sync);
    sync();
  }

  document.addEventListener('click', function (ev) {
    var link = closest(ev.target, 'a[data-dialog]');
    if (!link) return;
    var dialog = document.getElementById(link.getAttribute('data-dialog'));
    if (!dialog || typeof dialog.showModal !== 'function') return;
    ev.preventDefault();
    if (dialog.id === 'delete-dialog') {
      var form = dialog.querySelector('form');
      form.setAttribute('action', new URL(link.href, location.href).pathname);
      var what = dialog.querySelector('.what');
      if (what) what.textContent = link.getAttribute('data-what') || 'this task';
    }
    var slot = dialog.querySelector('.panel-slot');
    if (slot) {
      loadPanel(slot, link.getAttribute('href'), true);
    }
    openDialog(dialog, link);
  });

  document.addEventListener('DOMContentLoaded', function () {
    var business = document.getElementById('business');
    if (business && business.form) {
      business.addEventListener('change', function () { business.form.submit(); });
    }
    wireExpiry(document);
    var panel = document.getElementById('pause-panel');
    if (panel) {
      var all = panel.querySelector('input.select-all');
      if (all) {
        all.hidden = false;
        all.addEventListener('change', function () {
          var boxes = panel.querySelectorAll('table.pick tbody input[type=checkbox]');
          for (var i = 0; i < boxes.length; i++) boxes[i].checked = all.checked;
        });
      }
    }
  });
})();
