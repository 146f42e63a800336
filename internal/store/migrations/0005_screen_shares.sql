-- A room's own cap on screens shared at once in its call; 0 follows the
-- server's cap (roomsd --max-screen-shares), which also wins when lower.
ALTER TABLE rooms ADD COLUMN max_screen_shares INTEGER NOT NULL DEFAULT 0;
