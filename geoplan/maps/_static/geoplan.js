/* geoplan map runtime.
 *
 * Decodes the compact layers written by geoplan.maps (zigzag varints of quantised,
 * delta-encoded lon/lat, base64) and draws each layer on one canvas, grouped by style,
 * so 100 000 polygons cost one path per style instead of 100 000 SVG/DOM objects.
 * Tooltips and popups hit-test the decoded coordinates and build their content with
 * textContent only: attribute values never reach innerHTML.
 *
 * window.geoplanMap exposes what tests and the PNG export read: `counts` (features drawn
 * per layer in the last frame, 0 when the layer is switched off), `totals`, `ready`
 * (set one animation frame after the first full draw), `readyAt` (ms since navigation),
 * `clusterCounts` (per aggregated point layer: points in view per legend label, what its
 * pies add up to) and `timings` (per layer: ms to parse its JSON and to decode it).
 */
(function () {
  "use strict";
  var G = (window.geoplanMap = window.geoplanMap || {
    counts: {}, totals: {}, clusterCounts: {}, layers: [], ready: false, readyAt: null, map: null,
  });

  function bytes(b64) {
    var bin = atob(b64), n = bin.length, out = new Uint8Array(n);
    for (var i = 0; i < n; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function varints(b64) {
    var b = bytes(b64), out = new Float64Array(b.length), n = 0, i = 0;
    while (i < b.length) {
      var v = 0, mul = 1, c;
      do { c = b[i++]; v += (c & 127) * mul; mul *= 128; } while (c & 128);
      out[n++] = v;
    }
    return out.subarray(0, n);
  }

  function unzig(u) { return u % 2 ? -(u + 1) / 2 : u / 2; }

  /* One encoded property column: prefix + zigzagged number differences, or values +
     varint index (dictionary). */
  function decodeProp(col) {
    var i, out;
    if (col.num != null) {
      var dn = varints(col.num), at = 0;
      out = new Array(dn.length);
      for (i = 0; i < dn.length; i++) { at += unzig(dn[i]); out[i] = col.prefix + at; }
      return out;
    }
    var ix = varints(col.index);
    out = new Array(ix.length);
    for (i = 0; i < ix.length; i++) out[i] = col.values[ix[i]];
    return out;
  }

  /* lon/lat -> Leaflet's EPSG:3857 pixel space at zoom 0 (256 px world). */
  function decode(d) {
    var c = varints(d.coords), n = c.length / 2;
    var xs = new Float64Array(n), ys = new Float64Array(n);
    var x = 0, y = 0, q = d.quantum, ox = d.origin[0], oy = d.origin[1];
    for (var i = 0; i < n; i++) {
      x += unzig(c[2 * i]); y += unzig(c[2 * i + 1]);
      var lon = (x + ox) * q, lat = (y + oy) * q, s = Math.sin(lat * Math.PI / 180);
      xs[i] = (lon + 180) / 360 * 256;
      ys[i] = (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * 256;
    }
    var rl, fr;
    if (d.single != null) {  // single points: one vertex per ring, one ring per feature
      rl = new Float64Array(d.single).fill(1); fr = rl;
    } else { rl = varints(d.rings); fr = varints(d.features); }
    var nr = rl.length, nf = fr.length;
    var ringStart = new Int32Array(nr + 1), featRing = new Int32Array(nf + 1);
    for (var r = 0; r < nr; r++) ringStart[r + 1] = ringStart[r] + rl[r];
    for (var f = 0; f < nf; f++) featRing[f + 1] = featRing[f] + fr[f];
    var bb = new Float64Array(nf * 4);
    for (f = 0; f < nf; f++) {
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (var v = ringStart[featRing[f]]; v < ringStart[featRing[f + 1]]; v++) {
        if (xs[v] < x0) x0 = xs[v]; if (xs[v] > x1) x1 = xs[v];
        if (ys[v] < y0) y0 = ys[v]; if (ys[v] > y1) y1 = ys[v];
      }
      bb[4 * f] = x0; bb[4 * f + 1] = y0; bb[4 * f + 2] = x1; bb[4 * f + 3] = y1;
    }
    var si = d.style ? varints(d.style) : new Float64Array(nf), byStyle = [];
    for (var s2 = 0; s2 < d.styles.length; s2++) byStyle.push([]);
    for (f = 0; f < nf; f++) byStyle[si[f]].push(f);
    return {
      xs: xs, ys: ys, ringStart: ringStart, featRing: featRing, bbox: bb, n: nf,
      styleOf: si, byStyle: byStyle.map(function (a) { return Int32Array.from(a); }),
    };
  }

  function setStroke(ctx, st) {
    ctx.globalAlpha = st.opacity == null ? 1 : st.opacity;
    ctx.strokeStyle = st.color; ctx.lineWidth = st.weight;
    ctx.setLineDash(st.dash || []);
  }

  function paint(ctx, st, geom) {
    if (st.fill && geom !== "line") {
      ctx.globalAlpha = st.fillOpacity == null ? 0.5 : st.fillOpacity;
      ctx.fillStyle = st.fill; ctx.fill("evenodd");
    }
    if (st.weight > 0) { setStroke(ctx, st); ctx.stroke(); }
  }

  /* Draw a legend swatch with the same style object the layer uses. */
  function swatch(geom, st) {
    var c = document.createElement("canvas"), ctx = c.getContext("2d");
    c.width = 28; c.height = 16; c.className = "geoplan-swatch";
    ctx.beginPath();
    if (geom === "point") ctx.arc(14, 8, Math.min(st.radius || 4, 7), 0, 2 * Math.PI);
    else if (geom === "line") { ctx.moveTo(2, 8); ctx.lineTo(26, 8); }
    else ctx.rect(3, 2, 22, 12);
    if (st.fill && geom !== "line") {
      ctx.globalAlpha = st.fillOpacity == null ? 0.5 : st.fillOpacity;
      ctx.fillStyle = st.fill; ctx.fill();
    }
    if (st.weight > 0) { setStroke(ctx, st); ctx.stroke(); }
    return c;
  }

  var CanvasLayer = L.Layer.extend({
    initialize: function (data, opts) {
      this._d = data; this._o = opts || {};
      this._g = data._decoded || (data._decoded = decode(data));
      /* Encoded property columns are decoded on first use (a tooltip, a popup, the
         search), not before the first draw: a million ids cost ~0.5 s to rebuild. */
      Object.keys(data.props).forEach(function (key) {
        var desc = Object.getOwnPropertyDescriptor(data.props, key);
        if (desc.get) return;  // already lazy (the minimap shares the data)
        var col = desc.value;
        if (!col || Array.isArray(col)) return;  // a plain list
        var full = null;
        Object.defineProperty(data.props, key, {
          configurable: true, enumerable: true,
          get: function () { return full || (full = decodeProp(col)); },
        });
      });
      if (!this._o.mini) { G.totals[data.name] = this._g.n; G.counts[data.name] = 0; }
    },
    onAdd: function (map) {
      this._map = map;
      this._canvas = L.DomUtil.create("canvas", "geoplan-canvas leaflet-zoom-hide");
      this._canvas.style.pointerEvents = "none";
      map.getPanes().overlayPane.appendChild(this._canvas);
      map.on("moveend resize viewreset", this.redraw, this);
      this.redraw();
    },
    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off("moveend resize viewreset", this.redraw, this);
      if (!this._o.mini) G.counts[this._d.name] = 0;
    },
    view: function () {
      var map = this._map, k = Math.pow(2, map.getZoom()), o = map.getPixelBounds().min;
      var size = map.getSize(), m = 24 / k;
      return { k: k, ox: o.x, oy: o.y, size: size,
        x0: o.x / k - m, y0: o.y / k - m, x1: (o.x + size.x) / k + m, y1: (o.y + size.y) / k + m };
    },
    clustered: function () {
      return this._d.geom === "point" && this._d.clusterBelowZoom != null &&
        this._map.getZoom() < this._d.clusterBelowZoom;
    },
    redraw: function () {
      // before geoplan.finish fits the map to the data, a draw would be thrown away
      if (!G.started && !this._o.mini) return;
      var map = this._map, c = this._canvas, v = this.view(), dpr = window.devicePixelRatio || 1;
      L.DomUtil.setPosition(c, map.containerPointToLayerPoint([0, 0]));
      c.width = v.size.x * dpr; c.height = v.size.y * dpr;
      c.style.width = v.size.x + "px"; c.style.height = v.size.y + "px";
      var ctx = c.getContext("2d"); ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      var n = this.clustered() ? this._drawClusters(ctx, v) : this._drawFeatures(ctx, v);
      if (!this._o.mini) G.counts[this._d.name] = n;
    },
    _drawFeatures: function (ctx, v) {
      var d = this._d, g = this._g, bb = g.bbox, xs = g.xs, ys = g.ys, drawn = 0;
      var k = v.k, ox = v.ox, oy = v.oy, geom = d.geom;
      var chunk = 64;
      for (var s = 0; s < d.styles.length; s++) {
        var st = d.styles[s], idx = g.byStyle[s], r0 = st.radius || 4, inPath = 0, dots = false;
        ctx.beginPath();
        for (var j = 0; j < idx.length; j++) {
          var f = idx[j];
          if (bb[4 * f] > v.x1 || bb[4 * f + 2] < v.x0 || bb[4 * f + 1] > v.y1 || bb[4 * f + 3] < v.y0) continue;
          drawn++;
          if (geom !== "point" && (bb[4 * f + 2] - bb[4 * f]) * k < 1.5 && (bb[4 * f + 3] - bb[4 * f + 1]) * k < 1.5) {
            /* A feature under 1.5 px shows only as its outline colour: one pixel-sized
               rectangle draws the same and rasterises ~10x faster than the polygon. */
            if (!dots) { ctx.fillStyle = st.color; ctx.globalAlpha = st.opacity == null ? 1 : st.opacity; dots = true; }
            ctx.fillRect(Math.floor(bb[4 * f] * k - ox), Math.floor(bb[4 * f + 1] * k - oy), 1.5, 1.5);
            continue;
          }
          /* Skia rasterises one huge path far slower than many small ones (28 s vs
             0.3 s for 100 000 quads): paint in chunks of features. */
          if (inPath >= chunk) { paint(ctx, st, geom); ctx.beginPath(); inPath = 0; dots = false; }
          inPath++;
          for (var r = g.featRing[f]; r < g.featRing[f + 1]; r++) {
            var a = g.ringStart[r], b = g.ringStart[r + 1];
            if (geom === "point") {
              for (var p = a; p < b; p++) {
                var px = xs[p] * k - ox, py = ys[p] * k - oy;
                ctx.moveTo(px + r0, py); ctx.arc(px, py, r0, 0, 2 * Math.PI);
              }
              continue;
            }
            ctx.moveTo(xs[a] * k - ox, ys[a] * k - oy);
            for (var q = a + 1; q < b; q++) ctx.lineTo(xs[q] * k - ox, ys[q] * k - oy);
            if (geom === "polygon") ctx.closePath();
          }
        }
        if (inPath) paint(ctx, st, geom);
      }
      ctx.setLineDash([]); ctx.globalAlpha = 1;
      return drawn;
    },
    /* Dense points below clusterBelowZoom: aggregate them per 64 px cell into one disc
       sized by the count and divided like a pie by style (e.g. renovated / planned), so
       thousands of farmhouses read as where they are and how far their work has got. */
    _drawClusters: function (ctx, v) {
      /* One pass over the points into a grid of typed-array counters (no strings, no
         objects: a million points in well under 100 ms), then one pie per cell. */
      var g = this._g, bb = g.bbox, styles = this._d.styles, ns = styles.length, cell = 64;
      var k = v.k, cols = Math.ceil(v.size.x / cell) + 2, rows = Math.ceil(v.size.y / cell) + 2;
      var nCells = cols * rows, count = new Int32Array(nCells), byStyle = new Int32Array(nCells * ns);
      var sx = new Float64Array(nCells), sy = new Float64Array(nCells), total = new Float64Array(ns);
      var drawn = 0, so = g.styleOf;
      for (var f = 0; f < g.n; f++) {
        var x = bb[4 * f], y = bb[4 * f + 1];
        if (x > v.x1 || x < v.x0 || y > v.y1 || y < v.y0) continue;
        var px = x * k - v.ox, py = y * k - v.oy;
        var cx0 = Math.floor(px / cell) + 1, cy0 = Math.floor(py / cell) + 1;
        if (cx0 < 0 || cy0 < 0 || cx0 >= cols || cy0 >= rows) continue;
        var c = cx0 + cols * cy0;
        count[c]++; sx[c] += px; sy[c] += py; byStyle[c * ns + so[f]]++; total[so[f]]++; drawn++;
      }
      var shown = {};  // points per legend label in the view: what the pies add up to
      for (var s0 = 0; s0 < ns; s0++) {
        var lab = this._d.styleLabels ? this._d.styleLabels[s0] : String(s0);
        shown[lab] = (shown[lab] || 0) + total[s0];
      }
      if (!this._o.mini) G.clusterCounts[this._d.name] = shown;
      ctx.font = "11px sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
      ctx.setLineDash([]);
      for (var i = 0; i < nCells; i++) {
        var n = count[i];
        if (!n) continue;
        var cx = sx[i] / n, cy = sy[i] / n, rad = 5 + 2.5 * Math.log(n), a0 = -Math.PI / 2;
        for (var s = 0; s < ns; s++) {
          var m = byStyle[i * ns + s];
          if (!m) continue;
          var a1 = a0 + 2 * Math.PI * m / n;
          ctx.beginPath(); ctx.moveTo(cx, cy); ctx.arc(cx, cy, rad, a0, a1); ctx.closePath();
          ctx.globalAlpha = 0.85; ctx.fillStyle = styles[s].fill || styles[s].color; ctx.fill();
          a0 = a1;
        }
        ctx.beginPath(); ctx.arc(cx, cy, rad, 0, 2 * Math.PI);
        ctx.globalAlpha = 1; ctx.strokeStyle = "#fff"; ctx.lineWidth = 1; ctx.stroke();
        if (n > 1 && rad >= 9) {
          ctx.fillStyle = "#000"; ctx.globalAlpha = 0.75; ctx.fillText(String(n), cx, cy);
        }
      }
      ctx.globalAlpha = 1;
      return drawn;
    },
    /* Index of the feature under container point cp, or -1. */
    hit: function (cp) {
      if (this.clustered()) return -1;
      var v = this.view(), k = v.k, wx = (cp.x + v.ox) / k, wy = (cp.y + v.oy) / k;
      var d = this._d, g = this._g, bb = g.bbox, xs = g.xs, ys = g.ys;
      for (var f = g.n - 1; f >= 0; f--) {
        var st = d.styles[g.styleOf[f]], tol = ((st.radius || 0) + (st.weight || 1) / 2 + 3) / k;
        if (wx < bb[4 * f] - tol || wx > bb[4 * f + 2] + tol || wy < bb[4 * f + 1] - tol || wy > bb[4 * f + 3] + tol) continue;
        var inside = false;
        for (var r = g.featRing[f]; r < g.featRing[f + 1]; r++) {
          var a = g.ringStart[r], b = g.ringStart[r + 1];
          if (d.geom === "point") {
            for (var p = a; p < b; p++) if (Math.hypot(xs[p] - wx, ys[p] - wy) <= tol) return f;
          } else if (d.geom === "line") {
            for (var q = a; q + 1 < b; q++) if (segDist(wx, wy, xs[q], ys[q], xs[q + 1], ys[q + 1]) <= tol) return f;
          } else {
            for (var i = a, j = b - 1; i < b; j = i++) {
              if ((ys[i] > wy) !== (ys[j] > wy) && wx < (xs[j] - xs[i]) * (wy - ys[i]) / (ys[j] - ys[i]) + xs[i]) inside = !inside;
            }
          }
        }
        if (inside) return f;
      }
      return -1;
    },
    featureBounds: function (f) {
      var bb = this._g.bbox, m = this._map;
      return L.latLngBounds(m.unproject([bb[4 * f], bb[4 * f + 1]], 0), m.unproject([bb[4 * f + 2], bb[4 * f + 3]], 0));
    },
  });

  function segDist(px, py, ax, ay, bx, by) {
    var dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy, t = 0;
    if (l2 > 0) t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / l2));
    return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
  }

  function readJSON(id) {
    var node = document.getElementById(id), data = JSON.parse(node.textContent);
    node.textContent = "";  // the decoded layer is all the page needs; free the text
    return data;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  /* Tooltip (short) or popup (with task links) for feature f of a layer: textContent only. */
  function featureBox(layer, f, popup) {
    var d = layer._d, p = d.props, box = el("div", "geoplan-tip");
    box.appendChild(el("b", null, (p.name && p.name[f]) || "（未命名）"));
    var bits = [d.kindLabel];
    if (p.status && p.status[f]) bits.push(p.status[f]);
    if (p.year && p.year[f]) bits.push(p.year[f] + "年");
    box.appendChild(el("div", null, bits.join(" · ")));
    var tasks = p.tasks && p.tasks[f] ? String(p.tasks[f]).split(",") : [];
    for (var i = 0; i < tasks.length; i++) {
      var t = tasks[i].trim();
      if (!/^\d+$/.test(t)) continue;
      var title = G.config.taskTitles[t], text = "任务" + t + (title ? "：" + title : "");
      if (popup && G.config.scorecard && G.config.scorecardTasks[t]) {
        var line = el("div"), a = el("a", null, text);
        a.href = "#task-" + t;
        a.addEventListener("click", showScore.bind(null, t));
        line.appendChild(a); box.appendChild(line);
      } else box.appendChild(el("div", null, text));
    }
    if (popup && p.note && p.note[f]) box.appendChild(el("div", "geoplan-note", "备注：" + p.note[f]));
    if (popup && p.id && p.id[f]) box.appendChild(el("div", "geoplan-id", "编号：" + p.id[f]));
    if (popup) for (var k in p) {  /* the layer's own columns, as "x:<header>" */
      if (k.slice(0, 2) === "x:" && p[k][f]) box.appendChild(el("div", "geoplan-extra", k.slice(2) + "：" + p[k][f]));
    }
    return box;
  }

  function showScore(task, ev) {
    if (ev) ev.preventDefault();
    var panel = G.scorePanel;
    if (!panel) return;
    panel.classList.add("open");
    var row = document.getElementById("task-" + task);
    if (row) {
      row.scrollIntoView({ block: "nearest" });
      var rows = panel.querySelectorAll(".geoplan-hl");
      for (var i = 0; i < rows.length; i++) rows[i].classList.remove("geoplan-hl");
      row.classList.add("geoplan-hl");
    }
  }

  function topHit(cp) {
    for (var i = G.layers.length - 1; i >= 0; i--) {
      var l = G.layers[i];
      if (!G.map.hasLayer(l)) continue;
      var f = l.hit(cp);
      if (f >= 0) return { layer: l, f: f };
    }
    return null;
  }

  function button(parent, text, title, onClick) {
    var a = el("a", "geoplan-btn", text);
    a.href = "#"; a.title = title; a.setAttribute("role", "button");
    L.DomEvent.on(a, "click", function (e) { L.DomEvent.preventDefault(e); L.DomEvent.stopPropagation(e); onClick(); });
    parent.appendChild(a);
    return a;
  }

  function addTools(map, cfg) {
    var Tools = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var div = el("div", "leaflet-bar geoplan-tools");
        L.DomEvent.disableClickPropagation(div);
        var box = map.getContainer();
        button(div, "全", "全屏", function () {
          if (document.fullscreenElement) document.exitFullscreen();
          else if (box.requestFullscreen) box.requestFullscreen();
          else box.classList.toggle("geoplan-full");
          setTimeout(function () { map.invalidateSize(); }, 50);
        });
        var readout = null, pts = [], line = null, active = false;
        var mBtn = button(div, "距", "测距：单击地图添加节点，再按一次结束", function () {
          active = !active;
          mBtn.classList.toggle("geoplan-on", active);
          map.getContainer().style.cursor = active ? "crosshair" : "";
          if (active) { pts = []; if (line) map.removeLayer(line); line = null; readout.textContent = "测距：单击地图"; readout.style.display = "block"; }
        });
        readout = el("div", "geoplan-readout"); readout.style.display = "none";
        div.appendChild(readout);
        map.on("click", function (e) {
          if (!active) return;
          pts.push(e.latlng);
          if (!line) line = L.polyline(pts, { color: "#c00", weight: 2, dashArray: "4 4", interactive: false }).addTo(map);
          else line.setLatLngs(pts);
          var m = 0;
          for (var i = 1; i < pts.length; i++) m += map.distance(pts[i - 1], pts[i]);
          readout.textContent = "距离：" + (m >= 1000 ? (m / 1000).toFixed(2) + " 公里" : m.toFixed(0) + " 米");
        });
        G.measuring = function () { return active; };
        return div;
      },
    });
    new Tools().addTo(map);

    var Search = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var div = el("div", "leaflet-bar geoplan-search"), input = el("input"), list = el("ul");
        input.type = "search"; input.placeholder = "按名称搜索"; input.setAttribute("aria-label", "按名称搜索要素");
        div.appendChild(input); div.appendChild(list);
        L.DomEvent.disableClickPropagation(div); L.DomEvent.disableScrollPropagation(div);
        input.addEventListener("input", function () {
          while (list.firstChild) list.removeChild(list.firstChild);
          var q = input.value.trim().toLowerCase(), found = 0;
          if (!q) return;
          for (var i = 0; i < G.layers.length && found < 8; i++) {
            var l = G.layers[i], names = l._d.props.name || [];
            for (var f = 0; f < names.length && found < 8; f++) {
              if (!names[f] || String(names[f]).toLowerCase().indexOf(q) < 0) continue;
              found++;
              var li = el("li", null, names[f] + "（" + l._d.kindLabel + "）");
              li.addEventListener("click", (function (l, f) {
                return function () {
                  if (!map.hasLayer(l)) map.addLayer(l);
                  var b = l.featureBounds(f);
                  map.fitBounds(b, { maxZoom: 17, animate: false });
                  L.popup().setLatLng(b.getCenter()).setContent(featureBox(l, f, true)).openOn(map);
                };
              })(l, f));
              list.appendChild(li);
            }
          }
        });
        return div;
      },
    });
    new Search().addTo(map);
  }

  function addLegend(map, cfg) {
    var Legend = L.Control.extend({
      options: { position: "bottomright" },
      onAdd: function () {
        var div = el("div", "geoplan-legend");
        L.DomEvent.disableClickPropagation(div); L.DomEvent.disableScrollPropagation(div);
        if (cfg.title) div.appendChild(el("div", "geoplan-legend-title", cfg.title));
        for (var i = 0; i < cfg.legend.length; i++) {
          var sec = cfg.legend[i];
          if (sec.items.length === 1) {  // one style: the layer's name is its only label
            var one = el("div", "geoplan-legend-row geoplan-legend-head");
            one.appendChild(swatch(sec.geom, sec.items[0].style));
            one.appendChild(el("span", null, sec.title));
            div.appendChild(one);
            continue;
          }
          div.appendChild(el("div", "geoplan-legend-head", sec.title));
          if (sec.note) div.appendChild(el("div", "geoplan-legend-note", sec.note));
          for (var j = 0; j < sec.items.length; j++) {
            var it = sec.items[j], row = el("div", "geoplan-legend-row");
            row.appendChild(swatch(sec.geom, it.style));
            row.appendChild(el("span", null, it.label));
            div.appendChild(row);
          }
        }
        for (var w = 0; w < cfg.warnings.length; w++) div.appendChild(el("div", "geoplan-warn", "⚠ " + cfg.warnings[w]));
        return div;
      },
    });
    new Legend().addTo(map);
  }

  function addScorecard(map, cfg) {
    var Panel = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var div = el("div", "geoplan-score"), body = el("div", "geoplan-score-body");
        L.DomEvent.disableClickPropagation(div); L.DomEvent.disableScrollPropagation(div);
        button(div, "计分卡", "显示/隐藏计分卡", function () { div.classList.toggle("open"); });
        var table = el("table"), head = el("tr");
        ["任务", "指标", "范围", "数值", "目标", "状态"].forEach(function (h) { head.appendChild(el("th", null, h)); });
        table.appendChild(head);
        var seen = {};
        cfg.scorecard.forEach(function (r) {
          var tr = el("tr");
          if (!seen[r.task_id]) { seen[r.task_id] = 1; tr.id = "task-" + r.task_id; }
          [r.task_id, r.metric, r.scope, r.value, r.target, r.status].forEach(function (c) { tr.appendChild(el("td", null, c)); });
          table.appendChild(tr);
        });
        body.appendChild(table); div.appendChild(body);
        G.scorePanel = div;
        return div;
      },
    });
    new Panel().addTo(map);
  }

  function addMinimap(map, cfg, bounds) {
    var base = null;
    for (var i = 0; i < G.layers.length; i++) if (G.layers[i]._d.geom === "polygon") { base = G.layers[i]; break; }
    var Mini = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var div = el("div", "geoplan-minimap");
        L.DomEvent.disableClickPropagation(div);
        setTimeout(function () {
          var mm = L.map(div, { attributionControl: false, zoomControl: false, dragging: false, scrollWheelZoom: false,
            doubleClickZoom: false, boxZoom: false, keyboard: false, touchZoom: false });
          mm.fitBounds(bounds, { animate: false });
          if (cfg.tiles) L.tileLayer(cfg.tiles.url, cfg.tiles.options).addTo(mm);
          if (base) new CanvasLayer(base._d, { mini: true }).addTo(mm);
          var box = L.rectangle(map.getBounds(), { color: "#c00", weight: 1, fill: false, interactive: false }).addTo(mm);
          map.on("moveend", function () { box.setBounds(map.getBounds()); });
        }, 0);
        return div;
      },
    });
    new Mini().addTo(map);
  }

  window.geoplan = {
    layer: function (dataId) {
      var t0 = performance.now(), data = readJSON(dataId), t1 = performance.now();
      var l = new CanvasLayer(data);
      G.layers.push(l);
      G.timings = G.timings || [];
      G.timings.push({ layer: data.name, start: t0, parse: t1 - t0, decode: performance.now() - t1 });
      return l;
    },
    finish: function (map, cfgId) {
      var cfg = readJSON(cfgId);
      G.map = map; G.config = cfg;
      cfg.scorecardTasks = {};
      (cfg.scorecard || []).forEach(function (r) { cfg.scorecardTasks[r.task_id] = 1; });
      var bounds = L.latLngBounds(cfg.bounds);
      map.fitBounds(bounds, { animate: false });
      if (!map.getSize().x || !map.getSize().y) {
        // a hidden or not yet laid out frame: fit again once the map gets a size
        map.once("resize", function () { map.fitBounds(bounds, { animate: false }); });
      }
      G.started = true;
      G.layers.forEach(function (l) { if (map.hasLayer(l)) l.redraw(); });
      L.control.scale({ imperial: false }).addTo(map);
      addTools(map, cfg);
      addLegend(map, cfg);
      if (cfg.scorecard) addScorecard(map, cfg);
      if (cfg.minimap) addMinimap(map, cfg, bounds);

      var tip = L.tooltip({ direction: "top", offset: [0, -6], className: "geoplan-tooltip" }), pending = null;
      map.on("mousemove", function (e) {
        pending = e.containerPoint;
        if (G._tipFrame) return;
        G._tipFrame = requestAnimationFrame(function () {
          G._tipFrame = null;
          var h = topHit(pending), ll = map.containerPointToLatLng(pending);
          map.getContainer().style.cursor = h ? "pointer" : (G.measuring && G.measuring() ? "crosshair" : "");
          if (!h) { if (map.hasLayer(tip)) map.closeTooltip(tip); G.hover = null; return; }
          var key = h.layer._d.name + "/" + h.f;
          if (G.hover !== key) { tip.setContent(featureBox(h.layer, h.f, false)); G.hover = key; }
          tip.setLatLng(ll);
          if (!map.hasLayer(tip)) map.openTooltip(tip);
        });
      });
      map.on("mouseout", function () { if (map.hasLayer(tip)) map.closeTooltip(tip); G.hover = null; });
      map.on("click", function (e) {
        if (G.measuring && G.measuring()) return;
        var h = topHit(e.containerPoint);
        if (h) L.popup({ maxWidth: 320 }).setLatLng(e.latlng).setContent(featureBox(h.layer, h.f, true)).openOn(map);
      });
      requestAnimationFrame(function () {
        requestAnimationFrame(function () {
          G.ready = true; G.readyAt = performance.now();
          document.documentElement.setAttribute("data-geoplan-ready", "1");
        });
      });
    },
  };
})();
