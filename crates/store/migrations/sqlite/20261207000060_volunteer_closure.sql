-- A volunteer who left the platform (注销): their account is closed and their personal details
-- cleared; their service records, memberships and certificates stay, as the regulations require.
ALTER TABLE volunteers ADD COLUMN closed_at BIGINT;
