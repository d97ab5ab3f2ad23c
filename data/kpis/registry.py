"""Every KPI the IOC computes from its own data, in board order. A new computed KPI is one entry here plus
its test (and a function in ``data.kpis.measures`` when no measure there fits); ``kpi.compute_reports``
does the rest: it creates the indicator on first use, stores the values and raises the alerts."""

from __future__ import annotations

from data.kpis import measures
from data.kpis.spec import KpiSpec

FROM_REPORTS = "IOC: computed from reports"
FROM_CAMERAS = "IOC: camera status"

COMPUTED_KPIS: tuple[KpiSpec, ...] = (
    KpiSpec("reports_received", "Phản ánh tiếp nhận", "Reports received",
            unit="phản ánh", direction="up", target=None, frequency="month", theme="citizen_reports",
            source=FROM_REPORTS, measure=measures.report_figure("received"), count=True),
    KpiSpec("reports_resolved", "Phản ánh đã xử lý", "Reports resolved",
            unit="phản ánh", direction="up", target=None, frequency="month", theme="citizen_reports",
            source=FROM_REPORTS, measure=measures.report_figure("resolved"), count=True),
    KpiSpec("reports_on_time_pct", "Tỷ lệ xử lý đúng hạn", "Resolved on time",
            unit="%", direction="up", target=90.0, frequency="month", theme="citizen_reports",
            source=FROM_REPORTS, measure=measures.report_figure("on_time_pct")),
    KpiSpec("reports_median_hours", "Thời gian xử lý trung vị", "Median time to resolve",
            unit="giờ", direction="down", target=72.0, frequency="month", theme="citizen_reports",
            source=FROM_REPORTS, measure=measures.report_figure("median_hours_to_resolve")),
    KpiSpec("reports_satisfaction_pct", "Tỷ lệ hài lòng", "Citizen satisfaction",
            unit="%", direction="up", target=80.0, frequency="month", theme="citizen_reports",
            source=FROM_REPORTS, measure=measures.report_figure("satisfaction_pct")),
    KpiSpec("reports_overdue", "Phản ánh quá hạn chưa xử lý", "Open reports past their deadline",
            unit="phản ánh", direction="down", target=None, frequency="month", theme="citizen_reports",
            source=FROM_REPORTS, measure=measures.report_figure("overdue"), count=True, now_only=True),
    KpiSpec("camera_availability_pct", "Tỷ lệ camera hoạt động", "Cameras online",
            unit="%", direction="up", target=95.0, frequency="day", theme="public_services",
            source=FROM_CAMERAS, measure=measures.cameras_online),
)


def spec_of(code: str) -> KpiSpec:
    """The computed KPI with this code (KeyError when none)."""
    for spec in COMPUTED_KPIS:
        if spec.code == code:
            return spec
    raise KeyError(code)
