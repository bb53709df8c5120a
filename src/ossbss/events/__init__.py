"""Published domain events, one module per publishing room (frozen dataclasses of ids and
primitives, subclasses of ``ossbss.kernel.Event``). Rooms react to events of rooms above or
beside them through these, never by importing each other."""
