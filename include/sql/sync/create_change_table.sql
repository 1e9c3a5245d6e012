-- Planned changes of one run, copied in from pandas; dropped at commit. Numbers are unique (checked
-- before the copy; no key to maintain for a million rows).
CREATE TEMP TABLE inventory_change (
    number              text COLLATE "C" NOT NULL,
    reason              text NOT NULL,
    is_new              boolean NOT NULL,
    before_status       text,
    before_usage        text,
    before_vendor       text,
    before_tag          text,
    before_release_date date,
    status              text NOT NULL,
    usage               text,
    vendor              text,
    tag                 text,
    release_date        date
) ON COMMIT DROP
