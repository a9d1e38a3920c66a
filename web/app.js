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

  /* Focus goes back where it came from when a dialog closes. A panel's
   * content goes too: two panels in the page at once would repeat the
   * ids their labels point to. */
  document.addEventListener('close', function (ev) {
    var dialog = ev.target;
    if (!dialog.tagName || dialog.tagName.toLowerCase() !== 'dialog') return;
    var slot = dialog.querySelector('.panel-slot');
    if (slot) emptySlot(slot);
    if (opener) {
      opener.focus();
      opener = null;
    }
  }, true);

  function emptySlot(slot) {
    slot.loadCount = (slot.loadCount || 0) + 1; /* answers still coming are dropped */
    slot.removeAttribute('aria-busy');
    while (slot.firstChild) slot.removeChild(slot.firstChild);
    var p = document.createElement('p');
    p.className = 'loading';
    p.textContent = 'Loading…';
    slot.appendChild(p);
  }

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
    /* Only the latest load counts: an earlier search that answers late
     * must not replace a later one's result. */
    var mine = slot.loadCount = (slot.loadCount || 0) + 1;
    slot.setAttribute('aria-busy', 'true');
    return fetchPanel(url, 'pause-panel').then(function (panel) {
      if (slot.loadCount !== mine) return;
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
      if (slot.loadCount !== mine) return;
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
    /* the next page of the search, in the dialog; the focus goes to its
     * first row, as the link it was on is gone */
    var more = slot.querySelector('a.more');
    if (more) {
      more.addEventListener('click', function (ev) {
        ev.preventDefault();
        loadPanel(slot, more.getAttribute('href'), false).then(function () {
          var first = slot.querySelector('table.pick tbody input[type=checkbox]') ||
            slot.querySelector('#pause-q');
          if (first) first.focus();
        });
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
    guardPauseForm(slot);
  }

  /* A pause needs at least one target: say so in the panel, rather than
   * leave it for the server's error page, which loses what was typed. */
  function guardPauseForm(root) {
    var form = root.querySelector('form.pause-form');
    var panel = closest(form, '.pause-panel');
    if (!form || !panel) return;
    var note = null;
    form.addEventListener('submit', function (ev) {
      var boxes = form.querySelectorAll('input[name=target]');
      for (var i = 0; i < boxes.length; i++) {
        if (boxes[i].checked) return;
      }
      ev.preventDefault();
      if (!note) {
        note = document.createElement('p');
        note.className = 'form-error';
        note.setAttribute('role', 'alert');
        var buttons = form.querySelector('.dialog-buttons');
        form.insertBefore(note, buttons);
      }
      note.textContent = panel.getAttribute('data-scope') === 'type'
        ? 'Select at least one task type to pause.' : 'Select at least one user to pause.';
      if (boxes.length) boxes[0].focus();
    });
  }

  /* The date field matters only when "At the date below" is chosen. */
  function wireExpiry(root) {
    var select = root.querySelector('#pause-expiry');
    var until = root.querySelector('#pause-until');
    if (!select || !until) return;
    var field = closest(until, '.field') || until;
    function sync() {
      field.hidden = select.value !== 'until';
      until.required = select.value === 'until';
    }
    select.addEventListener('change', sync);
    sync();
  }

  document.addEventListener('click', function (ev) {
    var link = closest(ev.target, 'a[data-dialog]');
    if (!link) return;
    var dialog = document.getElementById(link.getAttribute('data-dialog'));
    if (!dialog || typeof dialog.showModal !== 'function') return;
    ev.preventDefault();
    if (dialog.classList.contains('task-confirm') || dialog.classList.contains('link-confirm')) {
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

  /* The header's Admin menu closes on Escape, and on a click elsewhere,
   * as menus do; without script it is a plain disclosure. */
  document.addEventListener('keydown', function (ev) {
    if (ev.key !== 'Escape' && ev.key !== 'Esc') return;
    var menu = document.querySelector('details.menu[open]');
    if (!menu || document.querySelector('dialog[open]')) return;
    menu.open = false;
    menu.querySelector('summary').focus();
  });
  document.addEventListener('click', function (ev) {
    var menus = document.querySelectorAll('details.menu[open]');
    for (var i = 0; i < menus.length; i++) {
      if (!menus[i].contains(ev.target)) menus[i].open = false;
    }
  });

  /* A bulk job's progress page reads itself again every few seconds
   * while the job runs and puts the new counts in place (without script,
   * its Refresh link does that); once the job has ended, its whole section
   * is replaced, buttons and all, and the reading stops. */
  function refreshBulk(section) {
    var secs = parseInt(section.getAttribute('data-refresh'), 10) || 2;
    setTimeout(function () {
      fetch(location.href, { credentials: 'same-origin' }).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (text) {
        if (!text) return refreshBulk(section);
        var doc = new DOMParser().parseFromString(text, 'text/html');
        var fresh = doc.querySelector('section.bulk-job');
        if (!fresh) return refreshBulk(section);
        if (fresh.hasAttribute('data-refresh')) {
          ['progress', 'dl.bulk-facts'].forEach(function (sel) {
            var old = section.querySelector(sel), now = fresh.querySelector(sel);
            if (old && now) old.parentNode.replaceChild(document.importNode(now, true), old);
          });
          refreshBulk(section);
        } else {
          section.parentNode.replaceChild(document.importNode(fresh, true), section);
        }
      }, function () { refreshBulk(section); });
    }, secs * 1000);
  }

  document.addEventListener('DOMContentLoaded', function () {
    var business = document.getElementById('business');
    if (business && business.form) {
      business.addEventListener('change', function () { business.form.submit(); });
    }
    wireExpiry(document);
    var bulk = document.querySelector('section.bulk-job[data-refresh]');
    if (bulk) refreshBulk(bulk);
    var panel = document.getElementById('pause-panel');
    if (panel) {
      /* the panel as a page of its own (opened in a new tab, say): its way
       * back to the list is needed here, as it is not in a dialog */
      var keep = panel.querySelectorAll('.js-hide');
      for (var k = 0; k < keep.length; k++) keep[k].classList.remove('js-hide');
      guardPauseForm(panel.parentNode);
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
