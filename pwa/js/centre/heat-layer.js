/** A small canvas heatmap layer for Leaflet: blurred weighted points coloured blue → yellow → red. */

const RADIUS = 28;

function palette() {
  const c = document.createElement('canvas');
  c.width = 256;
  c.height = 1;
  const g = c.getContext('2d');
  const grad = g.createLinearGradient(0, 0, 256, 0);
  grad.addColorStop(0.2, '#2c7bb6');
  grad.addColorStop(0.45, '#00c0a0');
  grad.addColorStop(0.65, '#ffe14d');
  grad.addColorStop(1, '#d7191c');
  g.fillStyle = grad;
  g.fillRect(0, 0, 256, 1);
  return g.getImageData(0, 0, 256, 1).data;
}

/**
 * Create the layer class (Leaflet is loaded at run time).
 * @param {object} L the Leaflet namespace
 * @returns {Function} a Layer class: `new HeatLayer(points)` with points [[lng, lat, weight], …]
 */
export function heatLayerClass(L) {
  return L.Layer.extend({
    initialize(points) { this.points = points; },
    setPoints(points) { this.points = points; this.redraw(); },
    onAdd(map) {
      this.map = map;
      this.canvas = L.DomUtil.create('canvas', 'heat-canvas leaflet-zoom-hide');
      this.canvas.style.pointerEvents = 'none';
      map.getPanes().overlayPane.append(this.canvas);
      map.on('moveend zoomend resize', this.redraw, this);
      this.redraw();
    },
    onRemove(map) {
      map.off('moveend zoomend resize', this.redraw, this);
      this.canvas.remove();
    },
    redraw() {
      if (!this.map) return;
      const size = this.map.getSize();
      const topLeft = this.map.containerPointToLayerPoint([0, 0]);
      L.DomUtil.setPosition(this.canvas, topLeft);
      this.canvas.width = size.x;
      this.canvas.height = size.y;
      const g = this.canvas.getContext('2d');
      const max = Math.max(1, ...this.points.map((p) => p[2]));
      for (const [lng, lat, w] of this.points) {
        const p = this.map.latLngToContainerPoint([lat, lng]);
        if (p.x < -RADIUS || p.y < -RADIUS || p.x > size.x + RADIUS || p.y > size.y + RADIUS) continue;
        const grad = g.createRadialGradient(p.x, p.y, 0, p.x, p.y, RADIUS);
        grad.addColorStop(0, `rgba(0,0,0,${0.25 + 0.75 * (w / max)})`);
        grad.addColorStop(1, 'rgba(0,0,0,0)');
        g.fillStyle = grad;
        g.fillRect(p.x - RADIUS, p.y - RADIUS, RADIUS * 2, RADIUS * 2);
      }
      const img = g.getImageData(0, 0, size.x || 1, size.y || 1);
      const colours = palette();
      for (let i = 3; i < img.data.length; i += 4) {
        const a = img.data[i];
        if (!a) continue;
        const j = a * 4;
        img.data[i - 3] = colours[j];
        img.data[i - 2] = colours[j + 1];
        img.data[i - 1] = colours[j + 2];
        img.data[i] = Math.min(220, a + 40);
      }
      g.putImageData(img, 0, 0);
    },
  });
}
