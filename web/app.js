/* app.js: enhancements for the admin screen. Every action also works
 * without it, through plain pages and forms; this turns those pages into
 * dialogs, submits the business choice at once, searches as one types,
 * adds select-all and keeps the lists up to date (live updates, below). The pages may be XHTML, so the DOM is built with DOM
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

  /* ---- Live updates ----
   * The task list, a task's page and the Executors page redraw what
   * changed every few seconds, from the page's XML view: the same address
   * and query string (so the same filter, sort and cursor), asked for as
   * XML. Cells are changed in place, rows keyed by task, executor or
   * attempt number; a cell is replaced only when what it would show
   * differs from what it shows.
   * The rule of the pointer: while the pointer is over a table, or the
   * focus is inside it, only the cells of the rows it shows change; rows
   * that come or go wait until both have left it (a note says how many
   * wait), so that the row under the pointer never moves.
   * Nothing is fetched while a dialog is open or the tab is hidden; one
   * request at most is in flight; a failure doubles the wait (up to a
   * minute); a 401 or 403 (the session ended) stops the updates and says
   * so. Without script the pages do not change. */
  var NS = 'urn:asynctasks:views:1';
  var LIVE_EVERY = 4000;
  var LIVE_MAX_WAIT = 60000;

  function kids(el, name) {
    var out = [];
    for (var n = el && el.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 1 && n.namespaceURI === NS && n.localName === name) out.push(n);
    }
    return out;
  }

  function el(name, cls, text) {
    var e = document.createElement(name);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  /* As the server writes a time: <time datetime="ISO">YYYY-MM-DD HH:MM:SS</time> */
  function timeEl(iso) {
    var t = el('time', null, iso.slice(0, 19).replace('T', ' '));
    t.setAttribute('datetime', iso);
    return t;
  }

  function append(parent, parts) {
    for (var i = 0; i < parts.length; i++) {
      var p = parts[i];
      parent.appendChild(typeof p === 'string' ? document.createTextNode(p) : p);
    }
    parent.normalize();
    return parent;
  }

  /* Replaces old by fresh unless they are equal; true when replaced. */
  function swap(old, fresh) {
    if (old.isEqualNode(fresh)) return false;
    old.parentNode.replaceChild(fresh, old);
    return true;
  }

  function base() {
    var p = location.pathname;
    var i = p.indexOf('/admin/');
    return i > 0 ? p.slice(0, i) : '';
  }

  /* The list's state that the page's links carry: an existing link's
   * query, else the page's own without its cursor. */
  function listQuery() {
    var a = document.querySelector('table.tasks a.edit, p.dialog-buttons a.button');
    if (a && a.search) return a.search;
    var q = new URLSearchParams(location.search);
    q.delete('after');
    q.delete('before');
    var s = q.toString();
    return s ? '?' + s : '';
  }

  /* "User Bob paused by alice@example.com at 2026-11-29 09:30:00 UTC, until
   * ... UTC: reason", as the server says it (at_pause_rule_text). */
  function ruleText(r) {
    var a = function (n) { return r.getAttribute(n); };
    var t = (a('scope') === 'user' ? 'User ' : 'Task type ') + a('target') + ' paused' +
      (a('of') === 'platform' ? ' for all businesses' : '') + ' by ' + a('by') + ' at ' +
      a('at').slice(0, 19).replace('T', ' ') + ' UTC';
    if (r.hasAttribute('until')) t += ', until ' + a('until').slice(0, 19).replace('T', ' ') + ' UTC';
    if (a('reason')) t += ': ' + a('reason');
    return t;
  }

  function progressText(t) {
    var total = Number(t.getAttribute('progress-total'));
    if (!total) return '';
    var done = Number(t.getAttribute('progress-done'));
    return done + ' of ' + total + ' done (' + Math.floor(Math.min(done, total) * 100 / total) + '%)';
  }

  function errorText(t) {
    var e = kids(t, 'error')[0];
    return e ? e.textContent : null;
  }

  /* The list's status cell: the status, and what explains it. */
  function statusCell(t, now) {
    var word = t.getAttribute('status');
    var td = el('td', 'status-cell');
    td.appendChild(el('span', 'status status-' + word, word));
    var rule = kids(t, 'paused-by')[0];
    var started = t.getAttribute('started-at');
    if (rule) {
      td.appendChild(el('span', 'held-by', ruleText(rule)));
    } else if ((word === 'running' || word === 'cancelling') && started) {
      var p = progressText(t);
      td.appendChild(append(el('span', 'detail'), ['since ', timeEl(started)].concat(p ? [', ' + p] : [])));
    } else if (word === 'failed' && errorText(t) !== null) {
      td.appendChild(el('span', 'detail', errorText(t)));
    } else if (word === 'queued' && Date.parse(t.getAttribute('run-at')) > now) {
      td.appendChild(append(el('span', 'detail'), ['runs at ', timeEl(t.getAttribute('run-at'))]));
    }
    return td;
  }

  function taskPath(t, what) {
    return base() + '/admin/async-tasks/tasks/' + t.getAttribute('id') + (what ? '/' + what : '') + listQuery();
  }

  function dialogLink(t, slug, cls, label) {
    var a = el('a', cls, label);
    a.setAttribute('href', taskPath(t, slug));
    a.setAttribute('data-dialog', slug + '-dialog');
    a.setAttribute('data-what', t.getAttribute('type') + ' for ' + t.getAttribute('user') +
      ' (task #' + t.getAttribute('id') + ')');
    return a;
  }

  function editLink(t) {
    var a = el('a', 'edit', 'Edit');
    a.setAttribute('href', taskPath(t, 'edit'));
    return a;
  }

  /* The actions the server says apply (retry, run-now, discard), in its order. */
  function actionLinks(t, which) {
    var have = ' ' + (t.getAttribute('actions') || '') + ' ';
    var out = [];
    var all = [['retry', 'Retry'], ['run-now', 'Run now'], ['discard', 'Discard']];
    for (var i = 0; i < all.length; i++) {
      var slug = all[i][0];
      if (which.indexOf(slug) < 0 || have.indexOf(' ' + slug + ' ') < 0) continue;
      out.push(dialogLink(t, slug, slug + (slug === 'discard' ? ' danger' : ''), all[i][1]));
    }
    return out;
  }

  function taskRow(t, now) {
    var tr = el('tr');
    tr.id = 'task-' + t.getAttribute('id');
    tr.setAttribute('data-status', t.getAttribute('status'));
    tr.appendChild(el('td', 'user', t.getAttribute('user')));
    tr.appendChild(el('td', 'type', t.getAttribute('type')));
    tr.appendChild(append(el('td', 'created'), [timeEl(t.getAttribute('created-at'))]));
    tr.appendChild(statusCell(t, now));
    tr.appendChild(listActions(t));
    return tr;
  }

  function listActions(t) {
    return append(el('td', 'actions'), [editLink(t)].concat(actionLinks(t, ['retry', 'run-now']),
      [dialogLink(t, 'delete', 'delete danger', 'Delete')]));
  }

  /* Brings an existing row's cells up to date; true when any changed. */
  function updateCells(tr, fresh) {
    var changed = false;
    for (var i = 0; i < fresh.attributes.length; i++) {
      var at = fresh.attributes[i];
      if (tr.getAttribute(at.name) !== at.value) {
        tr.setAttribute(at.name, at.value);
        changed = true;
      }
    }
    var old = tr.cells, cells = [];
    for (var k = 0; k < fresh.cells.length; k++) cells.push(fresh.cells[k]);
    for (var j = 0; j < cells.length && j < old.length; j++) {
      if (swap(old[j], cells[j])) changed = true;
    }
    return changed;
  }

  /* Puts rows (id -> fresh row, in order) in tbody. With full, the
   * tbody becomes exactly those rows; without, only the rows shown
   * change, and the count of rows that would come or go is returned. */
  function reconcile(tbody, fresh, full, empty) {
    var waiting = 0, want = {};
    var i, tr;
    for (i = 0; i < fresh.length; i++) {
      want[fresh[i].id] = true;
      tr = document.getElementById(fresh[i].id);
      if (tr && tr.parentNode === tbody) updateCells(tr, fresh[i]);
      else if (!full) waiting++;
    }
    var shown = [];
    for (i = 0; i < tbody.rows.length; i++) shown.push(tbody.rows[i]);
    for (i = 0; i < shown.length; i++) {
      if (shown[i].id && !want[shown[i].id]) {
        if (full) tbody.removeChild(shown[i]);
        else waiting++;
      }
    }
    if (!full) return waiting;
    var ref = tbody.firstChild;
    for (i = 0; i < fresh.length; i++) {
      tr = document.getElementById(fresh[i].id) || fresh[i];
      if (tr === ref) ref = ref.nextSibling;
      else tbody.insertBefore(tr, ref);
    }
    var blank = tbody.querySelector('td.empty');
    if (blank && fresh.length) tbody.removeChild(blank.parentNode);
    if (!blank && !fresh.length && empty) {
      var cell = el('td', 'empty', empty[1]);
      cell.setAttribute('colspan', empty[0]);
      tbody.appendChild(append(el('tr'), [cell]));
    }
    return 0;
  }

  function listTotals(doc) {
    var totals = kids(doc.documentElement, 'totals')[0];
    if (!totals) return;
    var names = ['queued', 'paused', 'running', 'failed', 'finished-today'];
    for (var i = 0; i < names.length; i++) {
      var dd = document.querySelector('dl.totals > div.' + names[i] + ' > dd');
      var v = totals.getAttribute(names[i]);
      if (dd && v !== null && dd.textContent !== v) dd.textContent = v;
    }
  }

  var views = {
    list: {
      table: function () { return document.querySelector('table.tasks'); },
      apply: function (doc, now, full) {
        listTotals(doc);
        var fresh = kids(doc.documentElement, 'task').map(function (t) { return taskRow(t, now); });
        return reconcile(this.table().tBodies[0], fresh, full, ['5', 'There are no tasks to show']);
      }
    },
    task: {
      table: function () { return document.querySelector('table.attempts'); },
      apply: function (doc, now, full) {
        var t = doc.documentElement;
        var dl = document.querySelector('dl.task-detail');
        if (dl) detailPairs(dl, taskDetail(t));
        var acts = document.querySelector('p.task-actions');
        if (acts) swap(acts, taskActions(t));
        var fresh = kids(t, 'attempt').map(attemptRow);
        return reconcile(this.table().tBodies[0], fresh, full, ['6', 'Not run yet']);
      }
    },
    executors: {
      table: function () { return document.querySelector('table.executors'); },
      apply: function (doc, now, full) {
        var fresh = kids(doc.documentElement, 'executor').map(executorRow);
        return reconcile(this.table().tBodies[0], fresh, full, ['6', 'There are no executors running']);
      }
    }
  };

  /* ---- the task page ---- */

  /* "850 ms", "12.4 s", "3 min 20 s", "2 h 5 min", as the page says it */
  function duration(us) {
    var ms = Math.floor(us / 1000), s = Math.floor(us / 1000000);
    if (ms < 1000) return ms + ' ms';
    if (s < 60) return (us / 1e6).toFixed(1) + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + (Math.floor(s / 60) % 60) + ' min';
  }

  /* The detail list's pairs: [label, dd]. */
  function taskDetail(t) {
    var a = function (n) { return t.getAttribute(n); };
    var pairs = [];
    var text = function (label, v) { pairs.push([label, el('dd', null, v)]); };
    var time = function (label, v) {
      if (v) pairs.push([label, append(el('dd'), [timeEl(v), ' UTC'])]);
    };
    text('User', a('user'));
    text('Task Type', a('type'));
    text('Status', a('status'));
    var rule = kids(t, 'paused-by')[0];
    if (rule) text('Held by', ruleText(rule));
    time('Created At', a('created-at'));
    time('Runs at', a('run-at'));
    time('Started at', a('started-at'));
    time('Finished at', a('finished-at'));
    text('Priority', a('priority'));
    text('Attempts', a('attempts') + ' of ' + a('max-attempts'));
    if ((a('status') === 'running' || a('status') === 'cancelling') && progressText(t)) {
      text('Progress', progressText(t));
    }
    if (a('duration-us') !== null) text('Duration', duration(Number(a('duration-us'))));
    if (errorText(t) !== null) text('Last error', errorText(t));
    var result = kids(t, 'result')[0];
    if (result) text('Result', result.textContent);
    return pairs;
  }

  /* The dt/dd pairs of dl brought to pairs: a changed value is replaced,
   * a new pair inserted where it belongs, a gone one removed. */
  function detailPairs(dl, pairs) {
    var old = {}, dts = dl.querySelectorAll('dt');
    for (var i = 0; i < dts.length; i++) old[dts[i].textContent] = dts[i];
    var ref = dl.firstChild;
    for (var j = 0; j < pairs.length; j++) {
      var dt = old[pairs[j][0]];
      delete old[pairs[j][0]];
      if (!dt) {
        dt = el('dt', null, pairs[j][0]);
        dl.insertBefore(dt, ref);
        dl.insertBefore(pairs[j][1], ref);
      } else {
        swap(dt.nextSibling, pairs[j][1]);
      }
      ref = pairs[j][1].parentNode === dl ? pairs[j][1].nextSibling : dt.nextSibling.nextSibling;
    }
    for (var k in old) {
      if (!Object.prototype.hasOwnProperty.call(old, k)) continue;
      dl.removeChild(old[k].nextSibling);
      dl.removeChild(old[k]);
    }
  }

  /* Edit while queued, the actions that apply, Delete while queued or
   * running (Discard stands for it once finished). */
  function taskActions(t) {
    var s = t.getAttribute('status');
    var queued = s === 'queued' || s === 'paused';
    var p = el('p', 'actions task-actions');
    if (queued) p.appendChild(editLink(t));
    append(p, actionLinks(t, ['retry', 'run-now', 'discard']));
    if (queued || s === 'running' || s === 'cancelling') {
      p.appendChild(dialogLink(t, 'delete', 'delete danger', 'Delete'));
    }
    return p;
  }

  function attemptRow(a) {
    var tr = el('tr');
    tr.id = 'attempt-' + a.getAttribute('number');
    tr.appendChild(el('td', null, a.getAttribute('number')));
    tr.appendChild(append(el('td'), [timeEl(a.getAttribute('started-at'))]));
    var end = a.getAttribute('finished-at');
    tr.appendChild(append(el('td'), end ? [timeEl(end)] : []));
    tr.appendChild(el('td', 'outcome', a.getAttribute('outcome')));
    tr.appendChild(el('td', null, a.getAttribute('host') + ', pid ' + a.getAttribute('pid')));
    tr.appendChild(el('td', null, a.textContent));
    return tr;
  }

  /* ---- the Executors page ---- */

  function exCell(cls, label, parts) {
    var td = append(el('td', cls), parts);
    td.setAttribute('data-label', label);
    return td;
  }

  function currentTask(e) {
    var state = e.getAttribute('state');
    var t = kids(e, 'current-task')[0];
    if (state !== 'running' || !t) return [el('span', 'status status-' + state, state)];
    var link = el('a', 'task-link', '#' + t.getAttribute('id'));
    link.setAttribute('href', base() + '/admin/async-tasks/tasks/' + t.getAttribute('id') +
      '?business=' + t.getAttribute('business'));
    var parts = [link, ' ' + t.getAttribute('type') + ' for ' + t.getAttribute('user') + ' (' +
      t.getAttribute('business-name') + ')'];
    if (t.getAttribute('started-at')) {
      parts.push(append(el('span', 'detail'), ['since ', timeEl(t.getAttribute('started-at'))]));
    }
    return parts;
  }

  function executorRow(e) {
    var a = function (n) { return e.getAttribute(n); };
    var tr = el('tr');
    tr.id = 'executor-' + a('id');
    tr.setAttribute('data-state', a('state'));
    var stale = a('stale') === 'true';
    tr.appendChild(exCell('host', 'Host', [a('host')]));
    tr.appendChild(exCell('pid', 'PID', [a('pid')]));
    tr.appendChild(exCell('supervisor-pid', 'Supervisor PID', [a('supervisor-pid')]));
    tr.appendChild(exCell('started', 'Started', [timeEl(a('started-at'))]));
    tr.appendChild(exCell('current-task', 'Current task', currentTask(e)));
    tr.appendChild(exCell(stale ? 'heartbeat stale' : 'heartbeat', 'Heartbeat',
      [timeEl(a('heartbeat-at'))].concat(stale ? [el('span', 'status status-stale', 'stale')] : [])));
    return tr;
  }

  /* ---- the loop ---- */

  function startLive(view) {
    var table = view.table();
    if (!table || !table.tBodies.length || typeof fetch !== 'function' ||
        typeof DOMParser !== 'function') return;
    var note = el('p', 'live-status');
    note.setAttribute('role', 'status');
    note.setAttribute('aria-live', 'polite');
    var wrap = closest(table, '.table-wrap') || table;
    wrap.parentNode.insertBefore(note, wrap.nextSibling);
    var wait = LIVE_EVERY, timer = null, busy = false, stopped = false, last = null;

    function say(text) {
      if (note.textContent !== text) note.textContent = text;
    }
    /* the pointer or the focus is in the table: rows must stay put */
    function held() {
      return table.matches(':hover') || table.contains(document.activeElement);
    }
    function apply() {
      if (!last) return;
      var waiting = view.apply(last.doc, last.now, !held());
      if (waiting) {
        say(waiting + (waiting === 1 ? ' row changes' : ' rows change') +
          ' when the pointer leaves the table.');
      } else if (!stopped) {
        say('');
      }
    }
    function later(ms) {
      clearTimeout(timer);
      timer = stopped ? null : setTimeout(tick, ms);
    }
    function stop(text) {
      stopped = true;
      clearTimeout(timer);
      say(text);
    }
    function failed() {
      wait = Math.min(wait * 2, LIVE_MAX_WAIT);
      if (wait >= 4 * LIVE_EVERY) say('Updates are failing; trying again every ' + Math.round(wait / 1000) + ' seconds.');
      later(wait);
    }
    function tick() {
      timer = null;
      if (stopped || busy) return;
      if (document.hidden || document.querySelector('dialog[open]')) return later(LIVE_EVERY);
      busy = true;
      fetch(location.href, {
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { 'Accept': 'application/xml' }
      }).then(function (resp) {
        if (resp.status === 401 || resp.status === 403) {
          return stop('Updates stopped: your session has ended. Reload the page to log in again.');
        }
        if (!resp.ok) return failed();
        var date = Date.parse(resp.headers.get('Date') || '');
        return resp.text().then(function (text) {
          var doc = new DOMParser().parseFromString(text, 'application/xml');
          if (doc.documentElement.namespaceURI !== NS) return failed();
          last = { doc: doc, now: isNaN(date) ? Date.now() : date };
          if (wait !== LIVE_EVERY) say(''); /* the failures are over */
          wait = LIVE_EVERY;
          /* a dialog opened meanwhile: what it was opened on stays */
          if (!document.querySelector('dialog[open]')) apply();
          later(wait);
        });
      }).catch(failed).then(function () { busy = false; });
    }

    /* rows held back come in once the pointer and the focus have left */
    function released() {
      setTimeout(function () { if (!held()) apply(); }, 0);
    }
    table.addEventListener('mouseleave', released);
    table.addEventListener('focusout', released);
    document.addEventListener('visibilitychange', function () {
      if (!document.hidden && !busy && !stopped) later(0);
    });
    later(LIVE_EVERY);
  }

  document.addEventListener('DOMContentLoaded', function () {
    var business = document.getElementById('business');
    if (business && business.form) {
      business.addEventListener('change', function () { business.form.submit(); });
    }
    wireExpiry(document);
    var bulk = document.querySelector('section.bulk-job[data-refresh]');
    if (bulk) refreshBulk(bulk);
    var view = document.querySelector('table.tasks') ? views.list
      : document.querySelector('dl.task-detail') ? views.task
        : document.querySelector('table.executors') ? views.executors : null;
    if (view) startLive(view);
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
