"""performance: KPI collection (an asyncio SNMP poller for IF-MIB), rates and utilisation,
time series with retention and downsampling, thresholds with hysteresis, availability and the
monthly SLA report, 95th percentiles and capacity forecasts.

The room's only door: other rooms and the composition roots use what is listed here.
"""

from ossbss.performance import models as _models  # noqa: F401  (registers the tables)
from ossbss.performance.api import router
from ossbss.performance.capacity import (
    LinkLoad,
    forecast_crossing,
    link_percentile_95,
    percentile_95,
    top_links,
)
from ossbss.performance.handlers import subscribe
from ossbss.performance.jobs import Downsampler
from ossbss.performance.outages import Availability, availability
from ossbss.performance.poller import PollerStatus, PollerThread, start_poller_thread
from ossbss.performance.samples import (
    IN_BPS,
    IN_OCTETS,
    IN_UTILISATION,
    OPER_STATUS,
    OUT_BPS,
    OUT_OCTETS,
    OUT_UTILISATION,
    REACHABLE,
    Sample,
    SampleSink,
)
from ossbss.performance.simulator import SimulatorThread
from ossbss.performance.sla import (
    SlaLine,
    SlaPolicy,
    SlaReport,
    configure,
    evaluate_sla,
    load_policy,
    month_period,
    sla_report,
)
from ossbss.performance.store import (
    DownsampleReport,
    Retention,
    Series,
    downsample,
    latest_values,
    record_samples,
    recorder,
    series,
)
from ossbss.performance.thresholds import (
    ThresholdView,
    create_threshold,
    delete_threshold,
    get_threshold,
    list_thresholds,
    reduction_key,
    seed_thresholds,
    update_threshold,
)

RESOURCES: tuple[()] = ()

__all__ = [
    "IN_BPS",
    "IN_OCTETS",
    "IN_UTILISATION",
    "OPER_STATUS",
    "OUT_BPS",
    "OUT_OCTETS",
    "OUT_UTILISATION",
    "REACHABLE",
    "RESOURCES",
    "Availability",
    "DownsampleReport",
    "Downsampler",
    "LinkLoad",
    "PollerStatus",
    "PollerThread",
    "Retention",
    "Sample",
    "SampleSink",
    "Series",
    "SimulatorThread",
    "SlaLine",
    "SlaPolicy",
    "SlaReport",
    "ThresholdView",
    "availability",
    "configure",
    "create_threshold",
    "delete_threshold",
    "downsample",
    "evaluate_sla",
    "forecast_crossing",
    "get_threshold",
    "latest_values",
    "link_percentile_95",
    "list_thresholds",
    "load_policy",
    "month_period",
    "percentile_95",
    "record_samples",
    "recorder",
    "reduction_key",
    "router",
    "seed_thresholds",
    "series",
    "sla_report",
    "start_poller_thread",
    "subscribe",
    "top_links",
    "update_threshold",
]
