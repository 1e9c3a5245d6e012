-- The current value of the server setting %(name)s.
SELECT current_setting(%(name)s)
