-- Roles for an offender-journey store in PostgreSQL. Run by the owner of the store's
-- tables, with the store's schema first on the search path (`offender-journey pg-roles`
-- does both, and creates the fact tables first). Safe to run again.
--
--   offender_journey_writer    services that append events: SELECT on events, and
--                              appends only through events_append() (no INSERT, UPDATE,
--                              DELETE or TRUNCATE: the function checks and numbers every
--                              row); reads the tombstones (to refuse erased people) and
--                              restrictions; keeps the note of an import under way.
--   offender_journey_follower  `offender-journey follow`: reads events and restrictions,
--                              rewrites fact rows.
--   offender_journey_reader    analysts: SELECT on the fact tables (effective_events among
--                              them) and nothing else; never the raw events.
--
-- Erasure and restriction are for the owner alone: no group role may delete events,
-- write tombstones or restrictions.
--
-- These are group roles (NOLOGIN): give each service or person a login role of its own
-- that is a member, e.g. CREATE ROLE intake LOGIN PASSWORD '...' IN ROLE offender_journey_writer;
-- A trigger on events refuses UPDATE, DELETE and TRUNCATE to everybody but the owner,
-- whatever else is granted later.

DO $roles$
DECLARE
    name TEXT;
BEGIN
    FOREACH name IN ARRAY ARRAY['offender_journey_writer', 'offender_journey_follower',
                                'offender_journey_reader'] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', name);
        END IF;
    END LOOP;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO offender_journey_writer, '
                   'offender_journey_follower, offender_journey_reader', current_schema());
END
$roles$;

REVOKE ALL ON events, store_meta, store_notes, erasures, restrictions FROM PUBLIC;
REVOKE ALL ON {fact_tables} FROM PUBLIC;

-- Roles made by an earlier release may hold more than this release grants.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON events FROM offender_journey_writer,
    offender_journey_follower, offender_journey_reader;
REVOKE EXECUTE ON FUNCTION events_append(text[], text[], text[], date[], bigint[], boolean[],
    text[], text[]), events_append_lock() FROM PUBLIC, offender_journey_follower,
    offender_journey_reader;

GRANT SELECT ON events TO offender_journey_writer;
GRANT SELECT ON store_meta TO offender_journey_writer;
GRANT EXECUTE ON FUNCTION events_append_lock() TO offender_journey_writer;
GRANT EXECUTE ON FUNCTION events_append(text[], text[], text[], date[], bigint[], boolean[],
    text[], text[]) TO offender_journey_writer;
GRANT SELECT ON erasures, restrictions TO offender_journey_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON store_notes TO offender_journey_writer;

GRANT SELECT ON events, store_meta, restrictions TO offender_journey_follower;
GRANT SELECT, INSERT, UPDATE, DELETE ON {fact_tables} TO offender_journey_follower;

GRANT SELECT ON {fact_tables} TO offender_journey_reader;
GRANT SELECT ON store_notes TO offender_journey_follower, offender_journey_reader;
