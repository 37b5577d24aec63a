-- Title bands are looked up in the writer's in-memory index, loaded from
-- this table once; an SQL index by band only cost every insert (nine a
-- candidate) a B-tree update.
DROP INDEX title_bands_by_band;
