"""Plane sections and tape girths on meshes whose answers are known analytically."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from measure.girth import (
    connected_labels,
    hull_arc_length_2d,
    hull_girth,
    hull_perimeter_2d,
    polyline_length,
    ramanujan_ellipse_perimeter,
    section,
)


def _prism(polygon: np.ndarray, height: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Side walls of a vertical prism over a closed 2D polygon (no caps: sections only cut the walls)."""
    n = len(polygon)
    bottom = np.c_[polygon, np.zeros(n)]
    top = np.c_[polygon, np.full(n, height)]
    vertices = np.vstack([bottom, top])
    faces = []
    for i in range(n):
        j = (i + 1) % n
        faces += [[i, j, n + j], [i, n + j, n + i]]
    return vertices, np.array(faces)


@pytest.mark.parametrize("a,b", [(0.15, 0.09), (0.12, 0.12), (0.20, 0.05)])
def test_elliptic_cylinder_girth_matches_ramanujan(a: float, b: float) -> None:
    mesh = trimesh.creation.cylinder(radius=1.0, height=1.0, sections=256)
    v = np.asarray(mesh.vertices).copy()
    v[:, 0] *= a
    v[:, 1] *= b
    sec = section(v, np.asarray(mesh.faces), np.array([0.0, 0.0, 0.13]), np.array([0.0, 0.0, 1.0]))
    assert sec.n_components == 1
    expected = ramanujan_ellipse_perimeter(a, b)
    assert hull_girth(sec) == pytest.approx(expected, rel=0.005)


def test_tilted_plane_through_cylinder_is_an_ellipse() -> None:
    r, tilt = 0.1, np.radians(30)
    mesh = trimesh.creation.cylinder(radius=r, height=1.0, sections=256)
    normal = np.array([0.0, np.sin(tilt), np.cos(tilt)])
    sec = section(np.asarray(mesh.vertices), np.asarray(mesh.faces), np.zeros(3), normal)
    # A plane tilted by t cuts a circular cylinder in an ellipse with semi-axes r and r / cos t.
    assert hull_girth(sec) == pytest.approx(ramanujan_ellipse_perimeter(r, r / np.cos(tilt)), rel=0.005)


def test_concave_section_measures_as_its_hull() -> None:
    n, outer, inner = 7, 0.12, 0.05
    ang = np.arange(2 * n) * np.pi / n
    radius = np.where(np.arange(2 * n) % 2 == 0, outer, inner)
    star = np.c_[radius * np.cos(ang), radius * np.sin(ang)]
    v, f = _prism(star)
    sec = section(v, f, np.array([0.0, 0.0, 0.5]), np.array([0.0, 0.0, 1.0]))
    hull = n * 2 * outer * np.sin(np.pi / n)  # the regular n-gon through the star's outer points
    assert hull_girth(sec) == pytest.approx(hull, rel=1e-6)
    wiggly = sum(np.linalg.norm(s[1] - s[0]) for s in sec.segments)
    assert wiggly > 1.3 * hull_girth(sec)  # the section itself is much longer: the tape bridges the hollows


def test_separate_bodies_are_separate_components() -> None:
    a = trimesh.creation.cylinder(radius=0.05, height=1.0, sections=64)
    b = trimesh.creation.cylinder(radius=0.08, height=1.0, sections=64)
    b.apply_translation([0.5, 0.0, 0.0])
    both = trimesh.util.concatenate([a, b])
    sec = section(np.asarray(both.vertices), np.asarray(both.faces), np.zeros(3), np.array([0.0, 0.0, 1.0]))
    assert sec.n_components == 2
    girths = sorted(hull_girth(sec, sec.component == c) for c in range(2))
    assert girths[0] == pytest.approx(2 * np.pi * 0.05, rel=0.005)
    assert girths[1] == pytest.approx(2 * np.pi * 0.08, rel=0.005)


def test_plane_through_vertices_still_closes_the_loop() -> None:
    mesh = trimesh.creation.cylinder(radius=0.1, height=1.0, sections=128)
    z_ring = float(np.asarray(mesh.vertices)[:, 2].max())  # the top ring: every vertex there lies on the plane
    sec = section(np.asarray(mesh.vertices), np.asarray(mesh.faces), np.array([0.0, 0.0, z_ring - 1e-9]),
                  np.array([0.0, 0.0, 1.0]))
    assert hull_girth(sec) == pytest.approx(2 * np.pi * 0.1, rel=0.005)


def test_connected_labels_finds_loops() -> None:
    pairs = np.array([[0, 1], [1, 2], [2, 0], [3, 4], [4, 5], [5, 6], [6, 3]])
    labels = connected_labels(pairs, 7)
    assert len(set(labels[:3])) == 1 and len(set(labels[3:])) == 1 and labels[0] != labels[3]


def test_arc_over_a_half_circle() -> None:
    t = np.linspace(0, np.pi, 200)
    pts = np.c_[np.cos(t), np.sin(t)]
    noise = np.c_[np.linspace(-0.9, 0.9, 20), np.full(20, -0.3)]  # points on the other side are ignored
    arc = hull_arc_length_2d(np.vstack([pts, noise]), np.array([1.0, 0.0]), np.array([-1.0, 0.0]),
                             side=np.array([0.0, 1.0]))
    assert arc == pytest.approx(np.pi, rel=1e-3)


def test_degenerate_inputs() -> None:
    assert hull_perimeter_2d(np.zeros((0, 2))) == 0.0
    assert hull_perimeter_2d(np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])) == pytest.approx(4.0)
    assert polyline_length(np.array([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)


def test_closed_loops_are_told_from_open_arcs() -> None:
    """A ring round a prism is closed; with one wall panel removed (a hole) the same cut is an open arc."""
    t = np.linspace(0.0, 2 * np.pi, 40, endpoint=False)
    v, f = _prism(np.c_[0.1 * np.cos(t), 0.1 * np.sin(t)])
    origin, up = np.array([0.0, 0.0, 0.5]), np.array([0.0, 0.0, 1.0])
    ring = section(v, f, origin, up)
    assert ring.is_closed(np.ones(len(ring), dtype=bool))
    arc = section(v, f[2:], origin, up)  # faces 0 and 1 are the first wall panel
    assert not arc.is_closed(np.ones(len(arc), dtype=bool))
    assert not arc.is_closed(np.zeros(len(arc), dtype=bool))
