"""Platform connectors: adapters behind one interface (:class:`PlatformConnector`), and a simulator."""

from govmedia_monitor.connectors.base import AccountRef, Approval, ObservationBatch, PlatformConnector, pull
from govmedia_monitor.connectors.simulator import Behaviour, SimulatorConnector

__all__ = [
    "AccountRef",
    "Approval",
    "Behaviour",
    "ObservationBatch",
    "PlatformConnector",
    "SimulatorConnector",
    "pull",
]
