//! Administrative regions (GB/T 2260 + statistical codes), the tree everything hangs on.

use sqlx::FromRow;

use crate::{Conn, Result, StoreError};

#[derive(Clone, Debug, FromRow, serde::Serialize)]
pub struct RegionRow {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
}

pub async fn get(conn: &mut Conn, code: &str) -> Result<Option<RegionRow>> {
    Ok(
        sqlx::query_as("SELECT code, name, level, parent_code FROM regions WHERE code = $1")
            .bind(code)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn children(conn: &mut Conn, parent: &str) -> Result<Vec<RegionRow>> {
    Ok(sqlx::query_as(
        "SELECT code, name, level, parent_code FROM regions WHERE parent_code = $1 ORDER BY code",
    )
    .bind(parent)
    .fetch_all(conn)
    .await?)
}

pub async fn roots(conn: &mut Conn) -> Result<Vec<RegionRow>> {
    Ok(sqlx::query_as(
        "SELECT code, name, level, parent_code FROM regions WHERE parent_code IS NULL ORDER BY code",
    )
    .fetch_all(conn)
    .await?)
}

/// Every region of the given levels, ordered by code (for pickers).
pub async fn by_levels(conn: &mut Conn, levels: &[&str]) -> Result<Vec<RegionRow>> {
    let mut all: Vec<RegionRow> = Vec::new();
    for level in levels {
        let mut rows: Vec<RegionRow> = sqlx::query_as(
            "SELECT code, name, level, parent_code FROM regions WHERE level = $1 ORDER BY code",
        )
        .bind(*level)
        .fetch_all(&mut *conn)
        .await?;
        all.append(&mut rows);
    }
    all.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(all)
}

/// The chain from the root down to `code` (inclusive).
pub async fn ancestry(conn: &mut Conn, code: &str) -> Result<Vec<RegionRow>> {
    let mut chain = Vec::new();
    let mut next = Some(code.to_owned());
    while let Some(c) = next {
        let Some(row) = get(conn, &c).await? else { break };
        next = row.parent_code.clone();
        chain.push(row);
        if chain.len() > 8 {
            return Err(StoreError::Corrupt(format!("region cycle at {code}")));
        }
    }
    chain.reverse();
    Ok(chain)
}

pub async fn insert(conn: &mut Conn, row: &RegionRow) -> Result<()> {
    sqlx::query("INSERT INTO regions (code, name, level, parent_code) VALUES ($1, $2, $3, $4)")
        .bind(&row.code)
        .bind(&row.name)
        .bind(&row.level)
        .bind(&row.parent_code)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn count(conn: &mut Conn) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM regions")
        .fetch_one(conn)
        .await?;
    Ok(n)
}

/// Beijing's real division codes to township level (National Bureau of Statistics, 2022),
/// shipped in the binary.
pub const BEIJING_CSV: &str = include_str!("../../../../data/regions-beijing.csv");

/// Parses the shipped CSV (`code,name,level,parent_code`).
pub fn parse_csv(csv: &str) -> Vec<RegionRow> {
    csv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .filter_map(|line| {
            let mut f = line.split(',').map(str::trim);
            let code = f.next()?.to_owned();
            let name = f.next()?.to_owned();
            let level = f.next()?.to_owned();
            let parent = f.next().filter(|p| !p.is_empty()).map(str::to_owned);
            Some(RegionRow {
                code,
                name,
                level,
                parent_code: parent,
            })
        })
        .collect()
}

/// Loads the shipped reference regions when the table is empty (idempotent).
pub async fn seed_reference(conn: &mut Conn) -> Result<usize> {
    if count(conn).await? > 0 {
        return Ok(0);
    }
    let rows = parse_csv(BEIJING_CSV);
    for row in &rows {
        insert(conn, row).await?;
    }
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_csv_has_beijing_districts_and_townships() {
        let rows = parse_csv(BEIJING_CSV);
        let counties = rows.iter().filter(|r| r.level == "county").count();
        let townships = rows.iter().filter(|r| r.level == "township").count();
        assert_eq!(counties, 16);
        assert_eq!(townships, 349);
        assert!(rows
            .iter()
            .any(|r| r.code == "110115403000" && r.name.contains("经济技术开发区")));
        // every parent is itself in the file, listed before its children
        for (i, r) in rows.iter().enumerate() {
            if let Some(p) = &r.parent_code {
                assert!(
                    rows[..i].iter().any(|q| &q.code == p),
                    "parent of {} missing",
                    r.code
                );
            }
        }
    }
}
