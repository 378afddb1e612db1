"""Open a planning database in QGIS and report what QGIS sees, as JSON on stdout.

Run by tests/test_store_clients.py with the system Python that has Debian's python3-qgis
(``/usr/bin/python3``), with ``QT_QPA_PLATFORM=offscreen``:

    python3 tests/qgis_probe.py SOURCE KIND... [--render KIND[,KIND...] PNG]
    python3 tests/qgis_probe.py --project PROJECT.qgz

SOURCE is a GeoPackage path or ``pg:<libpq conninfo>``. A KIND written ``KIND:TYPE``
(``farmhouses:Point``) is opened as the part of a generic (``GEOMETRY``) layer holding
that geometry type, as QGIS's browser offers it. For each layer kind (and its
``_history`` table) it reports validity, geometry type, CRS, feature count, the names of
the features, and the renderer QGIS applied from the database's default style; with
``--render``, draws the listed layers (the first on top) to a PNG and counts the painted
sample pixels.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    from qgis.core import (
        QgsApplication,
        QgsDataSourceUri,
        QgsMapRendererParallelJob,
        QgsMapSettings,
        QgsVectorLayer,
        QgsWkbTypes,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    if argv[0] == "--project":
        from qgis.core import QgsProject

        app = QgsApplication([], False)
        app.initQgis()
        project = QgsProject.instance()
        groups = {"_read": project.read(argv[1])}
        for group in project.layerTreeRoot().children():
            groups[group.name()] = [
                {
                    "name": node.name(),
                    "valid": node.layer().isValid(),
                    "count": node.layer().featureCount(),
                    "renderer": node.layer().renderer().type(),
                }
                for node in group.children()
            ]
        print(json.dumps(groups, ensure_ascii=False), flush=True)
        return 0

    render = None
    if "--render" in argv:
        i = argv.index("--render")
        render = (argv[i + 1], argv[i + 2])
        argv = argv[:i] + argv[i + 3 :]
    source, kinds = argv[0], argv[1:]
    app = QgsApplication([], False)
    app.initQgis()

    def open_layer(table: str, geometry: str) -> QgsVectorLayer:
        if source.startswith("pg:"):
            uri = QgsDataSourceUri(source[3:])
            uri.setDataSource("public", table, "geom", "", "fid")
            if geometry:
                uri.setWkbType(QgsWkbTypes.parseType(geometry))
            return QgsVectorLayer(uri.uri(False), table, "postgres")
        part = f"|geometrytype={geometry}" if geometry else ""
        return QgsVectorLayer(f"{source}|layername={table}{part}", table, "ogr")

    report = {}
    layers = {}
    for spec in kinds:
        kind, _, geometry = spec.partition(":")
        for table in (kind, f"{kind}_history"):
            layer = open_layer(table, geometry)
            entry = {"valid": layer.isValid()}
            if layer.isValid():
                renderer = layer.renderer()
                entry.update(
                    geometry=QgsWkbTypes.displayString(layer.wkbType()),
                    crs=layer.crs().authid(),
                    count=layer.featureCount(),
                    names=sorted(str(f["name"]) for f in layer.getFeatures()),
                    renderer=renderer.type(),
                    labels=bool(layer.labelsEnabled()),
                )
                if renderer.type() == "categorizedSymbol":
                    entry["attr"] = renderer.classAttribute()
                    entry["categories"] = [
                        [str(c.value()), c.label(), c.symbol().color().name()]
                        for c in renderer.categories()
                    ]
            report[table] = entry
            layers[table] = layer
    if render is not None:
        drawn = [layers[name] for name in render[0].split(",")]
        extent = drawn[-1].extent()
        for layer in drawn[:-1]:
            extent.combineExtentWith(layer.extent())
        settings = QgsMapSettings()
        settings.setLayers(drawn)
        settings.setDestinationCrs(drawn[0].crs())
        settings.setExtent(extent.buffered(extent.width() * 0.03))
        settings.setOutputSize(QSize(1000, 760))
        settings.setBackgroundColor(QColor(255, 255, 255))
        settings.setFlag(QgsMapSettings.DrawLabeling, True)
        job = QgsMapRendererParallelJob(settings)
        job.start()
        job.waitForFinished()
        image = job.renderedImage()
        image.save(render[1], "PNG")
        white = QColor(255, 255, 255).rgb()
        painted = sum(
            1
            for x in range(0, image.width(), 4)
            for y in range(0, image.height(), 4)
            if image.pixel(x, y) != white
        )
        report["_render"] = {"painted_samples": painted, "width": image.width()}
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    # QGIS 3.22 may crash while tearing down its providers at exit: leave without it
    os._exit(code)
