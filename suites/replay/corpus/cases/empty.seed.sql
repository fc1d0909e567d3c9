-- Nothing beyond the runtime's own migrations: the case writes through the daemon.
SELECT 1;
