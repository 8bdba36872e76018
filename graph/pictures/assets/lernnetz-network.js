/* lernnetz learning-network page (ours, EUPL-1.2). Reads #lernnetz-data, draws with vis-network.
 * Outlines beneath the nodes (beforeDrawing), labels placed greedily without overlaps (afterDrawing),
 * edge text on hover, search, filters, PNG export. Reports what it drew in #lernnetz-status. */
(function () {
  'use strict';
  window.lernnetzErrors = [];
  window.addEventListener('error', function (e) { window.lernnetzErrors.push(String(e.message)); });
  var data = JSON.parse(document.getElementById('lernnetz-data').textContent);
  var meta = JSON.parse(document.getElementById('lernnetz-meta').textContent);
  var byId = {};
  data.nodes.forEach(function (n) { byId[n.id] = n; });
  var forced = {};          // node ids whose label must show (search hit, selection)
  var hoverEdge = null;
  var state = { group: '', topic: '' };
  var labelBoxes = [];
  var outlineCount = { kreise: 0, laender: 0 };

  function el(tag, text, cls) {
    var d = document.createElement(tag);
    if (text !== undefined) { d.textContent = text; }
    if (cls) { d.className = cls; }
    return d;
  }
  function tip(text) { return el('div', text, 'lernnetz-tip'); }
  function norm(s) {
    return String(s).toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  }

  var shapes = { hub: 'diamond', member: 'dot', unassigned: 'dot', event: 'triangle' };
  var nodes = new vis.DataSet(data.nodes.map(function (n) {
    return {
      id: n.id, x: n.x, y: n.y, shape: shapes[n.kind] || 'dot', size: n.size,
      color: { background: n.color, border: n.kind === 'unassigned' ? '#909497' : '#1c2833',
               highlight: { background: n.color, border: '#000000' }, hover: { background: n.color, border: '#000000' } },
      borderWidth: n.kind === 'hub' ? 2 : 1, title: tip(n.tip),
      fixed: true, physics: false
    };
  }));
  var edges = new vis.DataSet(data.edges.map(function (e, i) {
    return { id: 'e' + i, from: e.from, to: e.to, title: tip(e.tip),
             color: { color: e.color, opacity: 0.45, highlight: e.color, hover: e.color },
             width: e.kind === 'member' ? 1.4 : 1, dashes: e.kind === 'attended' };
  }));
  var container = document.getElementById('lernnetz-network');
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, {
    autoResize: true, physics: { enabled: false }, layout: { improvedLayout: false },
    nodes: { font: { size: 0 }, shadow: false },
    edges: { smooth: false, selectionWidth: 1.5, hoverWidth: 1.5 },
    interaction: { hover: true, tooltipDelay: 150, multiselect: false, navigationButtons: false,
                   keyboard: { enabled: true, bindToWindow: false } }
  });
  window.lernnetzNetwork = network;

  // ------------------------------------------------------------------ outlines beneath the nodes
  function strokeRings(ctx, rings, width, colour, scale) {
    ctx.strokeStyle = colour; ctx.lineWidth = width / scale; ctx.beginPath();
    rings.forEach(function (r) {
      var xy = r.xy; ctx.moveTo(xy[0], xy[1]);
      for (var i = 2; i < xy.length; i += 2) { ctx.lineTo(xy[i], xy[i + 1]); }
      ctx.closePath();
    });
    ctx.stroke();
    return rings.length;
  }
  network.on('beforeDrawing', function (ctx) {
    var scale = network.getScale();
    ctx.save(); ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height); ctx.restore();
    ctx.save(); ctx.lineJoin = 'round';
    (data.outlines.territories || []).forEach(function (t) {
      if (nodes.get(t.hub) && nodes.get(t.hub).hidden) { return; }
      ctx.beginPath();
      t.rings.forEach(function (xy) {
        ctx.moveTo(xy[0], xy[1]);
        for (var i = 2; i < xy.length; i += 2) { ctx.lineTo(xy[i], xy[i + 1]); }
        ctx.closePath();
      });
      ctx.globalAlpha = 0.13; ctx.fillStyle = t.color; ctx.fill('evenodd');
      ctx.globalAlpha = 0.7; ctx.strokeStyle = t.color; ctx.lineWidth = 1.5 / scale; ctx.stroke();
      ctx.globalAlpha = 1;
    });
    outlineCount.kreise = strokeRings(ctx, data.outlines.kreise, 0.8, '#b2babb', scale);
    outlineCount.laender = strokeRings(ctx, data.outlines.laender, 2.0, '#707b7c', scale);
    ctx.restore();
  });

  // ------------------------------------------------------------------ labels without overlaps
  function visible(n) { var d = nodes.get(n.id); return d && !d.hidden; }
  function overlaps(a, b) { return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h; }
  function placeLabels(ctx) {
    var scale = network.getScale();
    var w = container.clientWidth, h = container.clientHeight;
    var shown = data.nodes.filter(visible).map(function (n) {
      var p = network.canvasToDOM({ x: n.x, y: n.y });
      return { n: n, x: p.x, y: p.y, r: Math.max(3, n.size * scale) };
    });
    var obstacles = shown.map(function (s) { return { x: s.x - s.r, y: s.y - s.r, w: 2 * s.r, h: 2 * s.r, id: s.n.id, p: s.n.priority }; });
    var order = shown.slice().sort(function (a, b) {
      var fa = forced[a.n.id] ? -1 : a.n.priority, fb = forced[b.n.id] ? -1 : b.n.priority;
      return fa - fb || b.n.population - a.n.population || (a.n.label < b.n.label ? -1 : 1);
    });
    var boxes = [];
    order.forEach(function (s) {
      if (s.x < 0 || s.y < 0 || s.x > w || s.y > h) { return; }
      var bold = s.n.kind === 'hub';
      var size = bold ? 14 : (s.n.kind === 'unassigned' ? 11 : 12.5);
      ctx.font = (bold ? 'bold ' : '') + size + 'px Arial, Helvetica, sans-serif';
      var tw = ctx.measureText(s.n.label).width + 4, th = size + 3, g = 2;
      var spots = [
        { x: s.x + s.r + g, y: s.y - th / 2 }, { x: s.x - s.r - g - tw, y: s.y - th / 2 },
        { x: s.x - tw / 2, y: s.y + s.r + g }, { x: s.x - tw / 2, y: s.y - s.r - g - th }
      ];
      // hubs and searched nodes always get a label: first a spot clear of nodes, else clear of labels only
      var passes = (forced[s.n.id] || s.n.kind === 'hub') ? [true, false] : [true];
      for (var k = 0; k < passes.length; k++) {
        for (var i = 0; i < spots.length; i++) {
          var b = { x: spots[i].x, y: spots[i].y, w: tw, h: th, id: s.n.id, text: s.n.label, font: ctx.font, size: size };
          if (b.x < 0 || b.y < 0 || b.x + b.w > w || b.y + b.h > h) { continue; }
          if (boxes.some(function (o) { return overlaps(b, o); })) { continue; }
          if (passes[k] && obstacles.some(function (o) { return o.id !== s.n.id && o.p <= s.n.priority + 1 && overlaps(b, o); })) { continue; }
          boxes.push(b); return;
        }
      }
    });
    return boxes;
  }
  network.on('afterDrawing', function (ctx) {
    var dpr = ctx.canvas.width / Math.max(1, container.clientWidth);
    ctx.save(); ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    labelBoxes = placeLabels(ctx);
    ctx.textBaseline = 'middle'; ctx.lineJoin = 'round';
    labelBoxes.forEach(function (b) {
      ctx.font = b.font; ctx.lineWidth = 3; ctx.strokeStyle = 'rgba(255,255,255,0.95)';
      ctx.strokeText(b.text, b.x + 2, b.y + b.h / 2); ctx.fillStyle = '#17202a';
      ctx.fillText(b.text, b.x + 2, b.y + b.h / 2);
    });
    if (hoverEdge !== null) {
      var e = data.edges[+hoverEdge.slice(1)];
      var a = network.canvasToDOM(byId[e.from]), c = network.canvasToDOM(byId[e.to]);
      ctx.font = '12px Arial, Helvetica, sans-serif'; ctx.lineWidth = 4; ctx.strokeStyle = '#ffffff';
      ctx.textAlign = 'center'; ctx.strokeText(e.text, (a.x + c.x) / 2, (a.y + c.y) / 2);
      ctx.fillStyle = '#1c2833'; ctx.fillText(e.text, (a.x + c.x) / 2, (a.y + c.y) / 2);
    }
    ctx.restore();
    window.lernnetzLabels = labelBoxes.map(function (b) { return { id: b.id, text: b.text, x: b.x, y: b.y, w: b.w, h: b.h }; });
  });
  network.on('hoverEdge', function (p) { hoverEdge = p.edge; network.redraw(); });
  network.on('blurEdge', function () { hoverEdge = null; network.redraw(); });

  // ------------------------------------------------------------------ details, legend, side lists
  var info = document.getElementById('lernnetz-info');
  function showInfo(text) { info.textContent = text; }
  network.on('click', function (p) {
    forced = {};
    if (p.nodes.length) { forced[p.nodes[0]] = true; showInfo(byId[p.nodes[0]].tip); }
    else if (p.edges.length) { showInfo(data.edges[+p.edges[0].slice(1)].tip); }
    network.redraw();
  });
  var legend = document.getElementById('lernnetz-legend');
  legend.appendChild(el('h2', 'Gruppen / groups (' + data.groups.length + ')'));
  data.groups.forEach(function (g) {
    var row = el('div', undefined, 'grp'), sw = el('span', undefined, 'sw diamond');
    sw.style.background = g.color; row.appendChild(sw);
    row.appendChild(el('span', 'Gruppe ' + g.id + ': ' + g.hubName + ' · ' + g.size + ' Mitglieder / members · ' +
      'Themen / topics: ' + g.topicLabels.join(', ')));
    row.addEventListener('click', function () { document.getElementById('lernnetz-group').value = String(g.id); applyFilter(); });
    legend.appendChild(row);
  });
  var kinds = el('div', undefined, 'kinds');
  [['sw diamond', '#ffffff', 'Drehscheibe: Modellprojekt, ganzes Gebiet als ein Knoten / hub: model project, whole territory as one node'],
   ['sw dot', '#ffffff', 'Mitglied (nicht gefördert), Größe ∝ √Einwohner / member (not funded), size ∝ √population'],
   ['sw dot', '#b3b6b7', 'nicht zugeordnet / not assigned'],
   ['sw', 'rgba(31,119,180,0.15)', 'Fläche: Gebiet der Drehscheibe / area: the hub\'s territory'],
   ['sw line', '', 'Landesgrenze / Land border'], ['sw line thin', '', 'Kreisgrenze / Kreis border']
  ].forEach(function (k) {
    var row = el('div'), sw = el('span', undefined, k[0]);
    if (k[1]) { sw.style.background = k[1]; }
    row.appendChild(sw); row.appendChild(el('span', k[2])); kinds.appendChild(row);
  });
  legend.appendChild(kinds);
  function sideList(id, heading, items) {
    var box = document.getElementById(id);
    if (!items.length) { return; }
    box.appendChild(el('h2', heading + ' (' + items.length + ')'));
    var ul = el('ul');
    items.forEach(function (it) {
      var li = el('li', it.label); li.title = it.tip; it.li = li;
      li.addEventListener('click', function () { showInfo(it.tip); });
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }
  sideList('lernnetz-offmap', 'Außerhalb der Karte / outside the map', data.offmap);
  sideList('lernnetz-unplaced', 'Ohne Position / without position', data.unplaced);

  // ------------------------------------------------------------------ filters
  var gsel = document.getElementById('lernnetz-group'), tsel = document.getElementById('lernnetz-topic');
  data.groups.forEach(function (g) { var o = el('option', 'Gruppe ' + g.id + ': ' + g.hubName); o.value = String(g.id); gsel.appendChild(o); });
  data.topics.forEach(function (t) { var o = el('option', t.label); o.value = t.slug; tsel.appendChild(o); });
  function applyFilter() {
    state.group = gsel.value; state.topic = tsel.value;
    nodes.update(data.nodes.map(function (n) {
      var okG = !state.group || (n.groups || [n.group]).map(String).indexOf(state.group) >= 0 || (n.kind === 'event' && !state.topic);
      var okT = !state.topic || n.topics.indexOf(state.topic) >= 0;
      if (n.kind === 'unassigned') { okG = !state.group; okT = !state.topic; }
      return { id: n.id, hidden: !(okG && okT) };
    }));
  }
  window.lernnetzFilter = function (group, topic) { gsel.value = group || ''; tsel.value = topic || ''; applyFilter(); };
  gsel.addEventListener('change', applyFilter); tsel.addEventListener('change', applyFilter);

  // ------------------------------------------------------------------ search
  var names = document.getElementById('lernnetz-names'), found = document.getElementById('lernnetz-found');
  data.nodes.forEach(function (n) { var o = el('option'); o.value = n.label; names.appendChild(o); });
  function search(q) {
    var k = norm(q).trim();
    document.querySelectorAll('li.found').forEach(function (li) { li.classList.remove('found'); });
    if (!k) { found.textContent = ''; return null; }
    var hit = data.nodes.filter(function (n) { return norm(n.label).indexOf(k) === 0; })[0] ||
      data.nodes.filter(function (n) { return norm(n.label).indexOf(k) >= 0; })[0];
    var via = null;
    if (!hit) {
      hit = data.nodes.filter(function (n) { return n.also.some(function (a) { via = a; return norm(a).indexOf(k) >= 0; }); })[0] || null;
    }
    if (hit) {
      if (nodes.get(hit.id).hidden) { window.lernnetzFilter('', ''); }
      forced = {}; forced[hit.id] = true;
      network.selectNodes([hit.id]);
      network.focus(hit.id, { scale: Math.max(network.getScale(), 1.0), animation: false });
      showInfo(hit.tip);
      found.textContent = via ? via + ' → ' + hit.label + ' (Gebiet / territory)' : 'gefunden / found: ' + hit.label;
      return { id: hit.id, label: hit.label, via: via };
    }
    var item = data.offmap.concat(data.unplaced).filter(function (it) { return norm(it.label).indexOf(k) >= 0; })[0];
    if (item) {
      item.li.classList.add('found'); item.li.scrollIntoView({ block: 'nearest' }); showInfo(item.tip);
      found.textContent = 'in der Liste / in the list: ' + item.label;
      return { id: null, label: item.label, via: 'list' };
    }
    found.textContent = 'nicht gefunden / not found: ' + q;
    return null;
  }
  window.lernnetzSearch = search;
  var input = document.getElementById('lernnetz-search');
  input.addEventListener('change', function () { search(input.value); });
  input.addEventListener('keydown', function (e) { if (e.key === 'Enter') { search(input.value); } });

  // ------------------------------------------------------------------ PNG
  document.getElementById('lernnetz-png').addEventListener('click', function () {
    var canvas = container.querySelector('canvas');
    var a = document.createElement('a');
    a.href = canvas.toDataURL('image/png'); a.download = meta.file + '.png';
    document.body.appendChild(a); a.click(); a.remove();
  });

  // ------------------------------------------------------------------ status for tests and benchmarks
  network.once('afterDrawing', function () {
    var status = document.getElementById('lernnetz-status');
    var canvas = container.querySelector('canvas');
    var colours = {};
    data.nodes.forEach(function (n) { if (n.group !== null) { colours[nodes.get(n.id).color.background] = true; } });
    status.setAttribute('data-nodes', String(nodes.length));
    status.setAttribute('data-drawn-nodes', String(network.body.nodeIndices.length));
    status.setAttribute('data-edges', String(edges.length));
    status.setAttribute('data-groups', String(data.groups.length));
    status.setAttribute('data-group-colours', String(Object.keys(colours).length));
    status.setAttribute('data-kreise', String(outlineCount.kreise));
    status.setAttribute('data-laender', String(outlineCount.laender));
    status.setAttribute('data-territories', String((data.outlines.territories || []).length));
    status.setAttribute('data-labels', String(labelBoxes.length));
    status.setAttribute('data-offmap', String(data.offmap.length));
    status.setAttribute('data-canvas', canvas ? canvas.width + 'x' + canvas.height : '');
    status.setAttribute('data-render-ms', performance.now().toFixed(1));
    status.setAttribute('data-physics', 'false');
    status.setAttribute('data-errors', String(window.lernnetzErrors.length));
    status.setAttribute('data-state', 'rendered');
  });
})();
